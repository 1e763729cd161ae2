import { MarkdownRenderer } from './markdown';

const renderer = new MarkdownRenderer();
const tagsOf = (html: string) => html.match(/<[^>]*>/g) ?? [];

/** Attacks an author (or a stolen editor account) could put in a body, from OWASP's and PortSwigger's cheat sheets. */
const XSS_CORPUS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)>',
  '<img src="x" ONERROR="alert(1)">',
  '<img src=x:alert(alt) onerror=eval(src) alt=0>',
  '<body onload=alert(1)>',
  '<div onmouseover="alert(1)">hover</div>',
  '<a href="javascript:alert(1)">x</a>',
  '<a href="JaVaScRiPt:alert(1)">x</a>',
  '<a href="jav&#x09;ascript:alert(1)">x</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
  '<a href=" javascript:alert(1)">x</a>',
  '<a href="vbscript:msgbox(1)">x</a>',
  '[x](javascript:alert(1))',
  '[x](<javascript:alert(1)>)',
  '[x](JAVASCRIPT:alert(1))',
  '[x][ref]\n\n[ref]: javascript:alert(1)',
  '<javascript:alert(1)>',
  '![x](javascript:alert(1))',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '![x](data:image/png;base64,iVBORw0KGgo=)',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
  '[x](data:text/html,<script>alert(1)</script>)',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<form action="javascript:alert(1)"><button>x</button></form>',
  '<input onfocus=alert(1) autofocus>',
  '<details open ontoggle=alert(1)>',
  '<style>@import "https://evil.example/x.css";</style>',
  '<p style="background:url(javascript:alert(1))">x</p>',
  '<p style="behavior:url(x.htc)">x</p>',
  '<div style="position:fixed;top:0;left:0;width:100%;height:100%">overlay</div>',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="https://evil.example/">',
  '<a href="//evil.example">protocol-relative</a>',
  '<img src="//evil.example/x.png">',
  '<td background="javascript:alert(1)">',
  '<table><td style="text-align:left;background:red">x</td></table>',
  '<code class="language-js onclick">x</code>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<!--<img src="--><img src=x onerror=alert(1)//">',
];

describe('MarkdownRenderer: Markdown to sanitised HTML', () => {
  it.each(XSS_CORPUS)('leaves no script, handler, style or unsafe URL in %j', (input) => {
    const html = renderer.render(input);
    for (const tag of tagsOf(html)) {
      expect(tag).not.toMatch(/^<\/?(script|iframe|svg|math|object|embed|form|input|style|link|meta|base|body|noscript)\b/i);
      expect(tag).not.toMatch(/\son[a-z]+\s*=/i);
      expect(tag).not.toMatch(/\s(srcdoc|background|xlink:href|action)\s*=/i);
      // The only style left is a table cell's alignment.
      expect(tag.replace(/ style="text-align:(left|right|center)"/, '')).not.toMatch(/\sstyle\s*=/i);
      expect(tag).not.toMatch(/(javascript|vbscript|data):/i);
      expect(tag).not.toMatch(/(href|src)="\/\//i);
      expect(tag).not.toMatch(/class="(?!language-)/);
    }
  });

  it('renders Markdown: headings, emphasis, lists, code, tables, links and pictures', () => {
    expect(renderer.render('# Hi\n\nSome **bold** and _em_.')).toBe('<h1>Hi</h1>\n<p>Some <strong>bold</strong> and <em>em</em>.</p>');
    expect(renderer.render('- a\n- b')).toBe('<ul>\n<li>a</li>\n<li>b</li>\n</ul>');
    expect(renderer.render('```ts\nconst a = 1 < 2;\n```')).toBe('<pre><code class="language-ts">const a = 1 &lt; 2;\n</code></pre>');
    expect(renderer.render('| a | b |\n|--:|---|\n| 1 | 2 |')).toContain('<th style="text-align:right">a</th>');
    expect(renderer.render('![Team](https://cdn.example.com/team.jpg)')).toBe('<p><img src="https://cdn.example.com/team.jpg" alt="Team" loading="lazy" /></p>');
    expect(renderer.render('<details><summary>More</summary>Text</details>')).toBe('<details><summary>More</summary>Text</details>');
  });

  it('keeps http(s), mailto and relative links; external ones get rel=noopener', () => {
    expect(renderer.render('[a](https://example.com)')).toBe('<p><a href="https://example.com" rel="noopener noreferrer">a</a></p>');
    expect(renderer.render('<a href="https://example.com" rel="opener" target="_blank">a</a>')).toBe('<p><a href="https://example.com" rel="noopener noreferrer">a</a></p>');
    expect(renderer.render('[b](/en/services)')).toBe('<p><a href="/en/services">b</a></p>');
    expect(renderer.render('[c](mailto:hello@statex.cz)')).toBe('<p><a href="mailto:hello@statex.cz">c</a></p>');
    expect(renderer.render('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>');
  });

  it('drops script and style content but keeps the text of harmless unknown tags', () => {
    expect(renderer.render('<script>alert(1)</script>after')).not.toContain('alert');
    expect(renderer.render('<style>p{}</style>after')).toBe('after');
    expect(renderer.render('<font color="red">kept</font>')).toBe('<p>kept</p>');
  });
});
