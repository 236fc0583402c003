/** Text formatting shared by the commands: sizes, dates and `aws s3 ls`-style lines. */

const UNITS = ['Bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1.2 MiB`, `512 Bytes` — binary units with one decimal, as `aws s3 ls --human-readable`. */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} Bytes` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2024-01-01 12:00:00` in local time (what aws prints); blanks when unknown. */
export function formatDateTime(date: Date | undefined): string {
  if (!date || Number.isNaN(date.getTime())) return ' '.repeat(19);
  return (
    `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())} ` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  );
}

export function bucketLine(name: string, creationDate: Date | undefined): string {
  return `${formatDateTime(creationDate)} ${name}`;
}

export function prefixLine(name: string): string {
  return `${'PRE'.padStart(30)} ${name}`;
}

export function objectLine(name: string, size: number, lastModified: Date | undefined, human: boolean): string {
  const sizeText = human ? humanSize(size) : String(size);
  return `${formatDateTime(lastModified)} ${sizeText.padStart(10)} ${name}`;
}

/** `99.7% saved` for 1000 -> 3 bytes; never negative-zero or NaN. */
export function savedPercent(originalSize: number, storedSize: number): string {
  if (originalSize === 0) return '0.0% saved';
  const saved = (1 - storedSize / originalSize) * 100;
  return `${saved.toFixed(1)}% saved`;
}

/**
 * Control characters shown as `\xHH` (`\n`, `\r`, `\t` as themselves escaped): text that
 * holds object keys or file names is printed with this, since a key may hold ESC or a
 * newline and would otherwise drive the terminal or forge a line of output.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => CONTROL_NAMES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const CONTROL_NAMES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
