/**
 * Imported first by main.ts. Every stored instance costs several blocking calls in libuv's thread pool
 * (write, fdatasync, rename, directory fsync); Node's default of 4 threads lets four slow fdatasyncs stall
 * everything else, including the directory fsyncs that would complete other stores. The pool size is read
 * once, at its first use, so it must be set before any module does file I/O. An operator's value wins.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';
