/** ISO-8601 (as stored in SQLite) → DICOM DT YYYYMMDDHHMMSS.FFFFFF in UTC: result SRs carry their input's time, never the clock's. */
export function dicomDateTime(iso: string): string {
  const d = new Date(iso === '' ? 0 : iso);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
}
