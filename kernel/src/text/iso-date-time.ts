import { badInput } from "../errors/domain-error.js";

/** A date-time as RFC 3339 writes it: a full date, hours and minutes, a zone (Z or an offset). */
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** The years a date this API stores may fall in: PostgreSQL, JavaScript and people agree on them. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 9999;

/**
 * A date-time input, read strictly: `new Date()` also takes "1" (2001-01-01), "March 7",
 * or years the database cannot store (-271821), each of which became a stored date or an
 * internal error. Anything but RFC 3339 with a real calendar date, a zone and a year from
 * 2000 to 9999 is BAD_USER_INPUT naming the field.
 */
export function isoDateTime(field: string, value: string): Date {
  const refuse = () => badInput(`${field} must be an ISO 8601 date-time with a zone, like 2027-01-31T09:00:00Z, in the years ${FIRST_YEAR} to ${LAST_YEAR}`, { field });
  const parts = value.length <= 40 ? RFC_3339.exec(value.trim()) : null;
  if (!parts) throw refuse();
  const [year, month, day, hour, minute, second] = parts.slice(1, 7).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const zone = parts[8]!.toUpperCase();
  const offsetHours = zone === "Z" ? 0 : Number(zone.slice(1, 3));
  const offsetMinutes = zone === "Z" ? 0 : Number(zone.slice(4, 6));
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const realDay = calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day;
  if (!realDay || year < FIRST_YEAR || year > LAST_YEAR || hour > 23 || minute > 59 || second > 59 || offsetHours > 14 || offsetMinutes > 59) throw refuse();
  return new Date(value.trim());
}
