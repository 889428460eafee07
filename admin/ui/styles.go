package ui

// css is the dashboard's stylesheet, inlined in every page. Logical
// properties (inline-start/end) lay out Arabic and English from one sheet;
// colours keep WCAG AA contrast.
const css = `*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Tahoma,"Noto Sans Arabic",Arial,sans-serif;color:#1c1c1c;background:#f4f5f4}
a{color:#0b5a4a}
.skip{position:absolute;inset-inline-start:-999px}.skip:focus{inset-inline-start:8px;top:8px;background:#fff;padding:8px;z-index:9}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.shell{display:grid;grid-template-columns:220px 1fr;min-height:100vh}
.side{background:#10302a;color:#fff;padding:16px 0}
.side .brand{display:block;font-weight:700;font-size:1.1rem;padding:0 16px 12px;color:#fff;text-decoration:none}
.side .store{display:block;padding:0 16px 12px;color:#cfe3dc;font-size:.9rem}
.side ul{list-style:none;margin:0;padding:0}
.side a{display:block;padding:10px 16px;color:#fff;text-decoration:none;min-height:40px}
.side a[aria-current=page]{background:#1d4d43;border-inline-start:4px solid #7fd3b9}
.side a:hover,.side a:focus{background:#1d4d43}
.top{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap;background:#fff;border-bottom:1px solid #dfe2df;padding:8px 20px}
.top form{display:inline}
main{padding:20px;max-width:1200px}
h1{font-size:1.4rem;margin:4px 0 16px}h2{font-size:1.1rem;margin:20px 0 10px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px;margin:0 0 16px;padding:0;list-style:none}
.card{background:#fff;border:1px solid #dfe2df;border-radius:8px;padding:12px 14px}
.card .k{color:#4d524f;font-size:.9rem}.card .v{font-size:1.4rem;font-weight:700}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dfe2df;margin-bottom:16px}
th,td{text-align:start;padding:8px 10px;border-bottom:1px solid #e6e8e6;vertical-align:top}
th{background:#eef1ee;font-weight:600}
.num{font-variant-numeric:tabular-nums}
input,select,textarea{font:inherit;padding:8px;border:1px solid #7d837f;border-radius:6px;background:#fff;min-height:40px;max-width:100%}
label{display:block;font-weight:600;margin-bottom:4px}
.f{margin-bottom:12px}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-end;background:#fff;border:1px solid #dfe2df;border-radius:8px;padding:12px;margin-bottom:16px}
.filters .f{margin:0}
button,.btn{font:inherit;font-weight:600;background:#0b5a4a;color:#fff;border:0;border-radius:6px;padding:8px 14px;min-height:40px;cursor:pointer;text-decoration:none;display:inline-flex;align-items:center}
button.alt,.btn.alt{background:#fff;color:#0b5a4a;border:2px solid #0b5a4a}
button.danger{background:#a3261b}
.link{background:none;border:0;color:#0b5a4a;text-decoration:underline;padding:0;min-height:0;font-weight:400}
.top .link{padding:8px 4px}
.err{color:#a3261b;font-weight:600;margin:4px 0 0}
.flash{background:#eef6f2;border:1px solid #b8dccb;border-radius:6px;padding:10px 12px;margin-bottom:16px}
.alert{background:#fdecea;border:1px solid #f0b5ae;border-radius:6px;padding:10px 12px;margin-bottom:16px}
.muted{color:#4d524f}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;background:#e6ece9;font-size:.85rem}
.pager{display:flex;gap:12px;margin-top:12px}
.two{display:grid;gap:16px}@media(min-width:900px){.two{grid-template-columns:2fr 1fr}}
.panel{background:#fff;border:1px solid #dfe2df;border-radius:8px;padding:12px 16px;margin-bottom:16px}
.timeline{list-style:none;padding:0;margin:0}.timeline li{padding:6px 0;border-bottom:1px solid #eceeec}
.login{max-width:380px;margin:60px auto;background:#fff;border:1px solid #dfe2df;border-radius:10px;padding:24px}
.login input{width:100%}
@media(max-width:760px){.shell{grid-template-columns:1fr}.side ul{display:flex;flex-wrap:wrap}}
@media print{.side,.top,.noprint{display:none}.shell{display:block}}`
