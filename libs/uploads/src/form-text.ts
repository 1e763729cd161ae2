/**
 * C0 controls other than tab, line feed and carriage return; DEL; C1 controls. NUL among them:
 * PostgreSQL cannot store it, and the others have no place in a form.
 */
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
/**
 * In a name (a field's or a file's) no control character at all, not even a newline, and no
 * bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069): "invoice", U+202E, "fdp.exe"
 * displays as "invoiceexe.pdf" to whoever reads the name.
 */
const CONTROL_IN_NAME = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** The problem with a form field's value, or undefined when it is acceptable. */
export function controlCharacterIn(value: string, kind: 'text' | 'name'): string | undefined {
  const match = (kind === 'name' ? CONTROL_IN_NAME : CONTROL_IN_TEXT).exec(value);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  if (code === 0) return 'NUL (\\u0000)';
  return `${code >= 0x202a ? 'bidirectional control' : 'control character'} \\u${code.toString(16).padStart(4, '0')}`;
}

/** A name shown in an error message: quoted, controls escaped, cut short. */
export function printable(name: string, max = 80): string {
  const shown = name.length > max ? `${name.slice(0, max)}…` : name;
  return JSON.stringify(shown);
}
