/**
 * Syslog transport framing (RFC 6587 for TCP/TLS, RFC 5425 for TLS, RFC 5426 for UDP). The encoder
 * promises a message with no CR, LF or NUL; framing still refuses to let one through, because a single
 * stray LF under LF framing forges a whole new message at the receiver.
 */

export type SyslogFraming = 'octet-counting' | 'lf';

const UNSAFE_LF_ALL = /[\r\n\0]/g;
const ESCAPES: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\0': '\\0' };

/**
 * Under LF framing a CR, LF or NUL inside the message would end it (NUL ends it for receivers that
 * read C strings). They are escaped as the two characters `\r`, `\n`, `\0`, the way CEF escapes them.
 */
export function escapeForLf(message: string): string {
  return needsLfEscape(message) ? message.replace(UNSAFE_LF_ALL, (c) => ESCAPES[c]!) : message;
}

/** Three single-character indexOf scans: several times faster than one regex on long messages. */
export function needsLfEscape(message: string): boolean {
  return message.indexOf('\n') !== -1 || message.indexOf('\r') !== -1 || message.indexOf('\0') !== -1;
}

/**
 * Under octet counting CR/LF are legal (the count delimits the frame), but NUL is still escaped: many
 * receivers (rsyslog among them) cut or rewrite the message at a NUL.
 */
export function escapeNul(message: string): string {
  return message.indexOf('\0') !== -1 ? message.replace(/\0/g, '\\0') : message;
}

/** One frame as text: `LEN SP MSG` (LEN = UTF-8 bytes of MSG) or `MSG LF`. */
export function frameMessage(message: string, framing: SyslogFraming): string {
  if (framing === 'lf') return escapeForLf(message) + '\n';
  const safe = escapeNul(message);
  return `${Buffer.byteLength(safe, 'utf8')} ${safe}`;
}

/** Frames joined into one buffer for one socket write, and what they carry. */
export interface FramedChunk<T> {
  buf: Buffer;
  items: T[];
}

/**
 * Frames messages straight into large buffers (no intermediate joined string: one UTF-8 copy per
 * message), cutting a new chunk whenever `chunkBytes` is reached.
 */
export class FrameChunker<T> {
  readonly chunks: Array<FramedChunk<T>> = [];
  private buf: Buffer;
  private off = 0;
  private items: T[] = [];

  constructor(private readonly framing: SyslogFraming, private readonly chunkBytes: number) {
    this.buf = Buffer.allocUnsafe(this.capacity(0));
  }

  private capacity(worst: number): number {
    return Math.max(this.chunkBytes + 64 * 1024, worst);
  }

  add(message: string, item: T): void {
    const lf = this.framing === 'lf';
    const m = lf ? escapeForLf(message) : escapeNul(message);
    // UTF-8 needs at most 3 bytes per UTF-16 code unit; the octet count prefix at most 11 bytes.
    const worst = m.length * 3 + 12;
    if (this.off + worst > this.buf.length) {
      this.cut();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(this.capacity(worst));
    }
    if (lf) {
      this.off += this.buf.write(m, this.off, 'utf8');
      this.buf[this.off++] = 10;
    } else {
      this.off += this.buf.write(`${Buffer.byteLength(m, 'utf8')} `, this.off, 'latin1');
      this.off += this.buf.write(m, this.off, 'utf8');
    }
    this.items.push(item);
    if (this.off >= this.chunkBytes) this.cut();
  }

  /** Closes the current chunk (if any) and returns all chunks. */
  finish(): Array<FramedChunk<T>> {
    this.cut();
    return this.chunks;
  }

  private cut(): void {
    if (this.off === 0) return;
    this.chunks.push({ buf: this.buf.subarray(0, this.off), items: this.items });
    this.items = [];
    this.buf = Buffer.allocUnsafe(this.capacity(0));
    this.off = 0;
  }
}

/** Appended to a UDP message that had to be cut. ASCII, so its byte length is its length. */
export const TRUNCATION_MARKER = '...[truncated]';

/**
 * Cuts `message` to at most `maxBytes` UTF-8 bytes, ending with TRUNCATION_MARKER, on a character
 * boundary (never half a multi-byte sequence, never half a surrogate pair). Returns the message itself
 * when it fits.
 */
export function truncateUtf8(message: string, maxBytes: number, marker: string = TRUNCATION_MARKER): { text: string; truncated: boolean } {
  if (message.length <= maxBytes && Buffer.byteLength(message, 'utf8') <= maxBytes) return { text: message, truncated: false };
  const budget = maxBytes - Buffer.byteLength(marker, 'utf8');
  if (budget < 0) throw new RangeError(`maxBytes ${maxBytes} is smaller than the truncation marker`);
  const bytes = Buffer.from(message, 'utf8');
  let end = budget;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so the cut lands before a lead byte.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return { text: bytes.toString('utf8', 0, end) + marker, truncated: true };
}
