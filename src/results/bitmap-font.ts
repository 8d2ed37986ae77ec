/**
 * A 5×7 dot-matrix font for text burned into the summary image, drawn for this project (original work, released
 * with it under the project's licence; the letter shapes follow the common 5×7 dot-matrix style of character LCDs).
 * Upper case, digits and the punctuation the summary writes; lower case is drawn as upper case, which also reads
 * better at thumbnail size. No font file, no canvas: a glyph is seven rows of five cells.
 */

/** Cell size of one glyph, in font pixels. */
export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Horizontal advance per character (one blank column between glyphs) and line advance (two blank rows). */
export const ADVANCE_X = GLYPH_WIDTH + 1;
export const ADVANCE_Y = GLYPH_HEIGHT + 2;

/** Rows top to bottom, '#' set, '.' clear. */
const GLYPHS: Readonly<Record<string, string>> = {
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. .#.#. ..... ..... ..... .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. .#... ..... ..... ..... .....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... .###. ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  _: '..... ..... ..... ..... ..... ..... #####',
  '\u2014': '..... ..... ..... ##### ..... ..... .....', // em dash: the full cell width, so it reads apart from '-'
};

/** One glyph as 7 row bitmasks, bit 4 the leftmost column. */
export type Glyph = readonly number[];

const PARSED = new Map<string, Glyph>(
  Object.entries(GLYPHS).map(([ch, rows]) => {
    const parsed = rows.split(' ').map((row) => [...row].reduce((bits, cell) => (bits << 1) | (cell === '#' ? 1 : 0), 0));
    if (parsed.length !== GLYPH_HEIGHT || rows.split(' ').some((r) => r.length !== GLYPH_WIDTH)) throw new Error(`glyph ${JSON.stringify(ch)} is not 5×7`);
    return [ch, parsed];
  }),
);
const UNKNOWN = PARSED.get('?') as Glyph;

/** The glyph drawn for `ch`: lower case as upper case, anything the font lacks as '?'. */
export function glyphFor(ch: string): Glyph {
  return PARSED.get(ch) ?? PARSED.get(ch.toUpperCase()) ?? UNKNOWN;
}

/** Whether the font draws `ch` itself (after upper-casing) rather than as '?'. */
export function hasGlyph(ch: string): boolean {
  return PARSED.has(ch) || PARSED.has(ch.toUpperCase());
}

/** Whether the font pixel at (column, row) of the glyph is set. */
export function glyphPixel(glyph: Glyph, column: number, row: number): boolean {
  return (((glyph[row] ?? 0) >> (GLYPH_WIDTH - 1 - column)) & 1) === 1;
}

/** Width in output pixels of `text` drawn at `scale` (no trailing gap). */
export function textWidth(text: string, scale: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE_X - 1) * scale;
}
