import { Matches } from 'class-validator';

/**
 * A field that is one line of text (a name, a company): no line breaks, C0 or C1 controls, DEL, or
 * Unicode line and paragraph separators, which would let a value split an email header or a log
 * line where it is shown. One character class: linear on any input.
 */
export const SingleLine = () => Matches(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/u, { message: '$property must be a single line without control characters' });
