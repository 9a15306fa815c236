// Large, realistic pages for the differential tests and the bench: what real sites send (head links and
// preloads, JSON-LD, inline scripts with "<!--" and "</script>" in strings, navigation, forms, tables,
// inline SVG icons, MathML, templates, declarative shadow DOM, conditional comments, unclosed p and li),
// put together from a seed so a failure reproduces.

/** A deterministic generator of numbers in [0, 1). */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

type Part = (r: () => number, i: number) => string;

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

const ICON = (i: number): string =>
  `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><title>Icon ${i}</title><path d="M3 6h18v2H3zm0 5h18v2H3z"/><use href="#i${i}"/></svg>`;

const HEAD_PARTS: readonly Part[] = [
  (_, i) => `<link rel="stylesheet" href="/css/site-${i}.css">\n`,
  () => `<link rel="preload" href="/fonts/a.woff2" as="font" type="font/woff2" crossorigin>\n`,
  (_, i) => `<link rel="preload" as="script" href="/js/chunk-${i}.js">\n<link rel="modulepreload" href="/js/mod-${i}.mjs">\n`,
  () =>
    `<link rel=preload as=style href=/css/print.css><link rel="icon" href="/favicon.ico"><link rel=preconnect href=https://cdn.example>\n`,
  (_, i) => `<style>.c${i}{color:#333}.c${i}>a[href^="http"]::after{content:"\\2197"}</style>\n`,
  () =>
    `<script type="application/ld+json">{"@context":"https://schema.org","@type":"Article","headline":"A <b>bold</b> claim","about":"</p>"}</script>\n`,
  (_, i) =>
    `<script>window.dataLayer=window.dataLayer||[];var s${i}="<!--";var e${i}="<\\/script>";if(a<b&&c>d){dataLayer.push({i:${i}})}</script>\n`,
  () => `<script><!--\nvar legacy = 1; // hidden from very old browsers\n//--></script>\n`,
  () => `<script>document.write('<scr'+'ipt src="/ads.js"><\\/scr'+'ipt>');</script>\n`,
  () => `<noscript><style>.js-only{display:none}</style><link rel="stylesheet" href="/nojs.css"></noscript>\n`,
  () => `<!--[if lt IE 9]><script src="/html5shiv.js"></script><![endif]-->\n`,
  () => `<meta name="viewport" content="width=device-width, initial-scale=1"><base href="/">\n`,
];

const BODY_PARTS: readonly Part[] = [
  (_, i) =>
    `<nav class="top"><ul><li><a href="/a${i}">Home ${ICON(i)}</a><li><a href="/b${i}">News &amp; views</a><li><a href="/c">About</a></ul></nav>\n`,
  (r, i) =>
    `<article id="a${i}"><h2>Heading ${i}</h2><p>Lorem ipsum <b>dolor</b> sit <i>amet</i>, &mdash; consectetur <a href="/x?a=1&b=2">adipiscing</a> elit &copy; 2026.` +
    `<p>Sed do eiusmod ${r() < 0.3 ? "<b><i>tempor</b></i>" : "<em>tempor</em>"} incididunt ut labore &lt;script&gt; et dolore.</article>\n`,
  () => `<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\nif (a &lt; b) { return "&lt;/style&gt;"; }</code></pre>\n`,
  (_, i) =>
    `<table class="data"><caption>Results ${i}</caption><thead><tr><th>Name<th>Value</thead><tbody>` +
    `<tr><td>${ICON(i)} Alpha<td>1</tr><tr><td>Beta<td><span class=v>2</span></tr></tbody></table>\n`,
  (_, i) =>
    `<form action="/s" method="post"><input type="hidden" name="csrf" value="t${i}"><label>Q <input name=q></label>` +
    `<select name="o"><option value=1 selected>One<option value=2>Two<optgroup label=G><option>Three</optgroup></select>` +
    `<textarea name="m"><script>not code</script></textarea><button type=submit>Go</button></form>\n`,
  () =>
    `<p>The roots are <math display="block"><mrow><mi>x</mi><mo>=</mo><mfrac><mrow><mo>&minus;</mo><mi>b</mi><mo>&PlusMinus;</mo>` +
    `<msqrt><msup><mi>b</mi><mn>2</mn></msup><mo>&minus;</mo><mn>4</mn><mi>a</mi><mi>c</mi></msqrt></mrow><mrow><mn>2</mn><mi>a</mi></mrow></mfrac></mrow></math>\n`,
  (_, i) =>
    `<template id="row${i}"><tr><td class="name"></td><td><script>init(${i})</script><style>td{padding:0}</style></td></tr></template>\n`,
  (_, i) =>
    `<my-card data-i="${i}"><template shadowrootmode="open"><style>:host{display:block}</style><slot></slot></template><p>Card ${i}</my-card>\n`,
  () => `<iframe srcdoc="<script>parent.hello()</script><style>b{}</style>" title="x"></iframe><iframe src="/embed"></iframe>\n`,
  () => `<details><summary>More</summary><ul><li>One<li>Two <b>bold<li>Three</ul></details>\n`,
  () =>
    `<video controls><source src=/v.webm type=video/webm><track kind=captions src=/c.vtt></video><picture><source srcset=/a.avif><img src=/a.jpg alt=""></picture>\n`,
  (_, i) => `<style>.late${i}{margin:0}</style><link rel="stylesheet" href="/late-${i}.css">\n`,
  (_, i) =>
    `<script>document.querySelectorAll(".c${i}").forEach(function (e) { e.innerHTML = "<svg><style>x{}</style></svg>"; });</script>\n`,
  () => `<!-- google_ad_section_start --><div class="ad"><script async src="/ad.js"></script></div><!-- google_ad_section_end -->\n`,
  () =>
    `<div class="svgwrap"><svg width="10" height="10"><defs><style>.a{fill:red}</style><clipPath id="c"><rect/></clipPath></defs><foreignObject><div>html <b>in</b> svg</div></foreignObject></svg></div>\n`,
  () => `<ul class="crumbs"><li>a</li><li>b</li></ul><p>Unclosed paragraph<p>another<div>block</div>\n`,
];

/** A page of at least `bytes` bytes (ASCII), from `seed`. */
export function realisticPage(seed: number, bytes: number): string {
  const r = random(seed);
  const head: string[] = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Page &amp; title</title>\n'];
  for (let i = 0; i < 3 + Math.floor(r() * 6); i++) head.push(pick(r, HEAD_PARTS)(r, i));
  head.push('</head>\n<body class="page">\n');
  const body: string[] = [];
  let size = head.join("").length;
  for (let i = 0; size < bytes; i++) {
    const part = pick(r, BODY_PARTS)(r, i);
    body.push(part);
    size += part.length;
  }
  return `${head.join("")}${body.join("")}<script src="/app.js" defer></script></body></html>\n`;
}
