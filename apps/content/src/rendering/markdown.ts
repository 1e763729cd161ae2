import { Injectable } from '@nestjs/common';
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

const TEXT_ALIGN = { 'text-align': [/^(left|right|center)$/] };

/**
 * What the website may receive: structure and text, links and pictures over http(s) only.
 * No script, style, iframe, svg, form or object; no event handler or style attribute (but table
 * alignment); no javascript:, data: or protocol-relative URL.
 */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'ul', 'ol', 'li', 'dl', 'dt', 'dd',
    'strong', 'em', 'b', 'i', 's', 'del', 'ins', 'mark', 'sub', 'sup', 'abbr', 'code', 'pre', 'kbd',
    'a', 'img', 'figure', 'figcaption', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'details', 'summary',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
    abbr: ['title'],
    code: ['class'],
    ol: ['start'],
    th: ['style'],
    td: ['style'],
  },
  allowedClasses: { code: [/^language-[a-z0-9+#_-]{1,30}$/] },
  allowedStyles: { th: TEXT_ALIGN, td: TEXT_ALIGN },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Scripts, styles and the like go with their content; other unknown tags leave their text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed', 'svg', 'math', 'template', 'xmp', 'noembed', 'noframes'],
  // A picture whose source was refused (data:, javascript:) is dropped rather than left empty.
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  transformTags: {
    a: (tagName, attribs) => {
      // External links cannot reach back into the page that opened them; an author's own rel is not kept.
      const { rel: _authored, ...rest } = attribs;
      if (/^\s*https?:/i.test(attribs.href ?? '')) rest.rel = 'noopener noreferrer';
      return { tagName, attribs: rest };
    },
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, loading: 'lazy' } }),
  },
};

/** An entry's Markdown body as HTML the website can insert as it is. */
@Injectable()
export class MarkdownRenderer {
  // Raw HTML is allowed into the Markdown and then cleaned: the sanitiser, not the parser, is the guard.
  private readonly markdown = new MarkdownIt({ html: true, linkify: true, typographer: true });

  render(markdown: string): string {
    return sanitizeHtml(this.markdown.render(markdown), SANITIZE).trim();
  }
}
