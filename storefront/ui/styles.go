package ui

import "strings"

// css is the whole stylesheet, inlined in every page (about 4 KB: one
// request fewer than a stylesheet, nothing render-blocking). Logical
// properties (inline-start/end) lay out Arabic and English from one sheet.
const css = `*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Tahoma,"Noto Sans Arabic",Arial,sans-serif;color:#1c1c1c;background:#fafaf8}
a{color:var(--c)}img{max-width:100%;height:auto;display:block}
.wrap{max-width:1200px;margin:0 auto;padding:0 16px}
.skip{position:absolute;inset-inline-start:-999px}.skip:focus{inset-inline-start:8px;top:8px;background:#fff;padding:8px;z-index:9}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{background:#fff;border-bottom:1px solid #e4e4e0;padding:8px 0}
.bar{display:flex;align-items:center;justify-content:space-between;gap:12px;flex-wrap:wrap}
.brand{display:flex;align-items:center;gap:8px;font-weight:700;font-size:1.15rem;text-decoration:none;color:#1c1c1c}
nav{display:flex;gap:14px;flex-wrap:wrap}nav a{padding:10px 4px;min-height:44px;display:inline-flex;align-items:center}
.search{display:flex;gap:8px;margin-top:8px}
input,select,textarea{font:inherit;padding:10px;border:1px solid #8a8a85;border-radius:8px;background:#fff;min-height:44px;max-width:100%}
.search input{flex:1;min-width:0}
button,.btn{font:inherit;font-weight:600;background:var(--c);color:#fff;border:0;border-radius:8px;padding:10px 16px;min-height:44px;cursor:pointer;text-decoration:none;display:inline-flex;align-items:center;justify-content:center;gap:6px}
.btn.alt{background:#fff;color:var(--c);border:2px solid var(--c)}.btn.wa{background:#0b6b3a}
main{padding:16px 0 40px;min-height:60vh}h1{font-size:1.5rem;line-height:1.3;margin:8px 0 16px}h2{font-size:1.2rem;margin:24px 0 12px}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px;padding:0;margin:0;list-style:none}
@media(min-width:700px){.grid{grid-template-columns:repeat(4,minmax(0,1fr))}}
.card{background:#fff;border:1px solid #e4e4e0;border-radius:10px;overflow:hidden;height:100%}
.card a{text-decoration:none;color:inherit;display:block;height:100%}.card .t{padding:8px 10px}
.card h2,.card h3{font-size:.95rem;margin:0 0 4px;font-weight:600}.ph{aspect-ratio:1/1;background:#efefeb;object-fit:cover;width:100%}
.price{font-weight:700}.was{text-decoration:line-through;color:#5c5c58;font-weight:400;margin-inline-start:6px}
.muted{color:#5c5c58}.out{color:#a3261b}.ok{color:#0b6b3a}
.chips{display:flex;flex-wrap:wrap;gap:8px;padding:0;list-style:none}.chips a{background:#fff;border:1px solid #c9c9c4;border-radius:20px;padding:8px 14px;text-decoration:none;display:inline-block;min-height:44px}
.pp{display:grid;gap:20px}@media(min-width:800px){.pp{grid-template-columns:1fr 1fr}}
.gal{display:flex;gap:8px;overflow-x:auto;scroll-snap-type:x mandatory;padding:0;margin:0;list-style:none}.gal li{flex:0 0 88%;scroll-snap-align:start}
fieldset{border:1px solid #e4e4e0;border-radius:10px;padding:12px;margin:0 0 16px;background:#fff}legend{font-weight:700;padding:0 6px}
.opts{display:grid;gap:8px}.opt{display:flex;gap:10px;align-items:center;min-height:44px}.opt input{min-height:auto;width:22px;height:22px}
.row{display:grid;gap:12px}@media(min-width:700px){.row.two{grid-template-columns:1fr 1fr}}
label{display:block;font-weight:600;margin-bottom:4px}.f{margin-bottom:12px}.f input,.f select,.f textarea{width:100%}
.err{color:#a3261b;font-weight:600;margin:4px 0 0}.note{background:#eef6f2;border:1px solid #b8dccb;border-radius:8px;padding:10px 12px}
.alert{background:#fdecea;border:1px solid #f0b5ae;border-radius:8px;padding:10px 12px}
table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:start;padding:8px;border-bottom:1px solid #e4e4e0;vertical-align:top}
.lines{list-style:none;padding:0;margin:0}.line{display:grid;grid-template-columns:1fr auto;gap:8px;background:#fff;border:1px solid #e4e4e0;border-radius:10px;padding:12px;margin-bottom:10px}
.line form{display:flex;gap:6px;align-items:end;flex-wrap:wrap}.line input[type=number]{width:84px}
.totals td:last-child{text-align:end;font-variant-numeric:tabular-nums}.totals tr.sum td{font-weight:700;font-size:1.1rem}
.actions{display:flex;gap:10px;flex-wrap:wrap;margin:16px 0}
.filters summary{cursor:pointer;font-weight:700;min-height:44px;display:flex;align-items:center}
.foot{background:#fff;border-top:1px solid #e4e4e0;padding:16px 0;font-size:.95rem}.foot a{display:inline-block;padding:8px 0}
.steps{padding-inline-start:20px}`

// styles is the stylesheet with the theme's primary colour.
func styles(color string) string {
	return ":root{--c:" + color + "}" + strings.ReplaceAll(css, "\n", "")
}
