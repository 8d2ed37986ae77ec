/**
 * Times in result objects. PS3.3 C.12.1.1.8: Timezone Offset From UTC (0008,0201) is the zone of *every* DA and TM
 * in the instance, and of every DT without its own offset, so an SR cannot write its own times in UTC while it
 * carries the source's Study Date/Time, which the modality wrote in local time. The SR's times are therefore written
 * in the source's zone: the offset the source declares, else the gateway host's (it sits at the site of the PACS),
 * and that offset is written (docs/sr.md, "Times").
 */

/** ISO-8601 (as stored in SQLite) → DICOM DT YYYYMMDDHHMMSS.FFFFFF at `offsetMinutes` east of UTC (UTC by default), without the offset suffix. */
export function dicomDateTime(iso: string, offsetMinutes = 0): string {
  const d = new Date((iso === '' ? 0 : Date.parse(iso)) + offsetMinutes * 60_000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}000`;
}

/** Minutes east of UTC → "+HHMM" / "-HHMM" (PS3.5 Table 6.2-1, the &ZZXX of DT). */
export function utcOffsetString(offsetMinutes: number): string {
  const abs = Math.abs(offsetMinutes);
  return `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

/** "+HHMM" / "-HHMM" → minutes east of UTC; undefined for anything else. */
export function parseUtcOffset(value: string | undefined): number | undefined {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
  if (m === null) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return Number(m[2]) > 14 || Number(m[3]) > 59 ? undefined : m[1] === '-' ? -minutes : minutes;
}

/**
 * An instant (ISO-8601) as an SR's Content Date/Time and the Timezone Offset From UTC it is written in: the
 * source's declared offset, else the host's offset at that instant (daylight saving included).
 */
export function resultDateTime(iso: string, sourceOffset: string | undefined): { contentDateTime: string; timezoneOffsetFromUtc: string } {
  const at = iso === '' ? 0 : Date.parse(iso);
  const minutes = parseUtcOffset(sourceOffset) ?? -new Date(at).getTimezoneOffset();
  return { contentDateTime: dicomDateTime(iso, minutes), timezoneOffsetFromUtc: utcOffsetString(minutes) };
}
