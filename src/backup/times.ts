/**
 * A time for Node's utimes family. Node turns a negative number of seconds into "now"
 * (lib/internal/fs/utils.js toUnixTimestamp), so a file from before 1970 came back dated
 * today; a Date is passed through as is, so times before 1970 go as Dates (millisecond
 * precision, which is all a negative time keeps through a double anyway).
 */
export function fsTime(ms: number): number | Date {
  return ms >= 0 ? ms / 1000 : new Date(ms);
}
