/** The console's own rules, served after the shared BASE_STYLE (html/page.ts). */
export const CONSOLE_STYLE = `
.skip{position:absolute;left:-999px;top:.5rem;background:var(--card);padding:.5rem .75rem;border-radius:6px;z-index:10}
.skip:focus{left:.5rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.topbar .org{color:var(--muted);border-left:1px solid var(--line);padding-left:1rem}
.topbar .who{margin-left:auto;display:flex;align-items:center;gap:.85rem;color:var(--muted);font-size:.9rem}
.topbar .who form{margin:0}
.shell{display:grid;grid-template-columns:14rem minmax(0,1fr);min-height:calc(100vh - 3.1rem)}
nav.side{background:var(--card);border-right:1px solid var(--line);padding:1.25rem .75rem}
nav.side ul{list-style:none;margin:0;padding:0}
nav.side li{margin:0 0 .15rem}
nav.side a{display:block;padding:.42rem .75rem;border-radius:6px;color:var(--ink);text-decoration:none}
nav.side a:hover{background:var(--bg)}
nav.side a[aria-current=page]{background:var(--accent-soft);color:var(--accent);font-weight:600}
nav.side ul.sub{margin:.1rem 0 0 .75rem;padding-left:.5rem;border-left:1px solid var(--line)}
nav.side .sep{height:1px;background:var(--line);margin:.85rem .5rem}
.content{padding:1.75rem 2.25rem 3rem;max-width:66rem;width:100%}
.crumbs{font-size:.88rem;color:var(--muted);margin:0 0 .5rem}
.crumbs ol{list-style:none;display:flex;flex-wrap:wrap;gap:.35rem;margin:0;padding:0}
.crumbs li+li::before{content:"›";margin-right:.35rem;color:#98a4b0}
.crumbs a{color:var(--muted)}
.page-head{display:flex;align-items:flex-start;justify-content:space-between;gap:1rem;flex-wrap:wrap;margin-bottom:1.1rem}
.page-head h1{margin:0}
.page-head p{margin:.35rem 0 0}
.card>h2:first-child{margin-top:0}
.card .lead{color:var(--muted);margin:-.35rem 0 1rem}
.notice{border:1px solid;border-radius:8px;padding:.75rem 1rem;margin:0 0 1.25rem}
.notice.ok{background:var(--ok-soft);border-color:#abefc6;color:#054f31}
.notice.bad{background:var(--bad-soft);border-color:#fecdca;color:#7a271a}
.notice.warn{background:var(--warn-soft);border-color:#fedf89;color:#7a2e0e}
.notice ul{margin:.35rem 0 0;padding-left:1.2rem}
.notice p:last-child{margin-bottom:0}
.field{display:grid;grid-template-columns:13rem minmax(0,1fr);gap:.2rem 1.75rem;padding:1rem 0;border-top:1px solid var(--line)}
.card>.field:first-child,.card>h2+.field,.card>.lead+.field{border-top:0;padding-top:.25rem}
.field>.label{font-weight:600;padding-top:.45rem}
fieldset.field{border:0;border-top:1px solid var(--line);margin:0;min-width:0;padding-left:0;padding-right:0}
.field>.label label{font-weight:600}
.field .hint{color:var(--muted);font-size:.86rem;margin:.35rem 0 0}
.field .error-text{color:var(--bad);font-size:.88rem;font-weight:550;margin:.4rem 0 0}
.field .error-text::before{content:"⚠ ";}
label{cursor:pointer}
input[type=text],input[type=url],input[type=email],input[type=password],input[type=search],select,textarea{width:100%;font:inherit;font-size:.95rem;padding:.5rem .65rem;border:1px solid var(--field);border-radius:6px;background:var(--card);color:var(--ink)}
textarea{font-family:var(--mono);font-size:.88rem;min-height:4.5rem;resize:vertical}
input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid #0b6bcb55;outline-offset:0;border-color:var(--accent)}
[aria-invalid=true]{border-color:var(--bad)!important;background:#fffafa}
input[readonly]{background:#f2f4f7;border-color:var(--line);font-family:var(--mono);font-size:.86rem;color:#2b3a4a}
.copy{display:flex;gap:.5rem;align-items:stretch}
.copy input{flex:1;min-width:0}
button,.button{font:inherit;font-size:.92rem;font-weight:600;line-height:1.2;padding:.55rem 1.05rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-flex;align-items:center;gap:.4rem;white-space:nowrap}
button:hover,.button:hover{background:#0a5eb3}
button.secondary,.button.secondary{background:var(--card);color:var(--accent);border-color:#b3cde9}
button.secondary:hover,.button.secondary:hover{background:var(--accent-soft)}
button.danger,.button.danger{background:var(--card);color:var(--bad);border-color:#f1b8b1}
button.danger:hover,.button.danger:hover{background:var(--bad-soft)}
button.danger.solid{background:var(--bad);border-color:var(--bad);color:#fff}
button.danger.solid:hover{background:#912018}
button.link{background:none;border:0;padding:0;color:var(--accent);font-weight:500;text-decoration:underline;text-underline-offset:2px}
button.small,.button.small{font-size:.84rem;padding:.35rem .7rem}
.actions{display:flex;gap:.75rem;align-items:center;flex-wrap:wrap;margin-top:1.25rem}
.switch-row{display:flex;align-items:center;gap:.7rem;padding-top:.35rem}
.switch-row label{font-weight:500}
input[type=checkbox][role=switch]{appearance:none;-webkit-appearance:none;flex:none;width:2.6rem;height:1.45rem;margin:0;border-radius:1rem;background:#b8c2cc;position:relative;cursor:pointer;transition:background .15s}
input[type=checkbox][role=switch]::before{content:"";position:absolute;top:.18rem;left:.18rem;width:1.09rem;height:1.09rem;border-radius:50%;background:#fff;box-shadow:0 1px 2px #0003;transition:transform .15s}
input[type=checkbox][role=switch]:checked{background:var(--accent)}
input[type=checkbox][role=switch]:checked::before{transform:translateX(1.15rem)}
input[type=checkbox][role=switch]:focus-visible{outline:3px solid #0b6bcb88;outline-offset:2px}
.state-word{font-size:.86rem;color:var(--muted)}
.choices{display:flex;gap:1.25rem;flex-wrap:wrap;padding-top:.4rem}
.choices label{display:inline-flex;gap:.4rem;align-items:center;font-weight:500}
input[type=radio],input[type=checkbox]:not([role=switch]){width:1.05rem;height:1.05rem;accent-color:var(--accent);margin:0}
.credentials:has(#use_custom_credentials:not(:checked)) .custom-only{opacity:.62}
.scope-string{display:block;background:#f2f4f7;border:1px solid var(--line);border-radius:6px;padding:.55rem .7rem;font-family:var(--mono);font-size:.86rem;overflow-wrap:anywhere}
details{margin-top:.6rem}
details summary{cursor:pointer;color:var(--accent);font-size:.9rem;width:max-content}
details[open] summary{margin-bottom:.5rem}
.secret-state{display:flex;align-items:center;gap:.5rem;margin:0 0 .5rem;font-size:.9rem}
.badge{display:inline-block;padding:.08rem .55rem;border-radius:999px;font-size:.78rem;font-weight:600;background:#eef1f4;color:#46525f;white-space:nowrap;line-height:1.5}
.badge.ok{background:var(--ok-soft);color:var(--ok)}
.badge.bad{background:var(--bad-soft);color:var(--bad)}
.badge.warn{background:var(--warn-soft);color:var(--warn)}
.badge.info{background:var(--accent-soft);color:var(--accent)}
.badge.env-sandbox{background:#e8f3ee;color:#1d6b47;border:1px dashed #7fb79b}
li.launch.env-production{border-left:4px solid #7a1f1f}
.badge.env-production{background:#7a1f1f;color:#fff;letter-spacing:.02em;text-transform:uppercase}
.env-banner{display:flex;gap:.6rem;align-items:center;padding:.45rem .8rem;border-radius:6px;margin:0 0 1rem}
.env-banner.production{background:#7a1f1f;color:#fff}
.env-banner.sandbox{background:#e8f3ee;color:#1d6b47}
.tabs{display:flex;gap:.25rem;margin:.2rem 0 .4rem}
.tabs .tab{padding:.2rem .7rem;border:1px solid #d5dbe1;border-radius:6px;text-decoration:none;color:inherit}
.tabs .tab.current{background:var(--accent-soft);border-color:var(--accent);color:var(--accent);font-weight:600}
table.env-credentials{margin-top:.5rem}
table.env-credentials caption{text-align:left;font-weight:600;padding-bottom:.3rem}
.table-wrap{position:relative;overflow-x:auto;margin:0 -.25rem;padding:0 .25rem}
table{width:100%;border-collapse:collapse;font-size:.9rem}
caption{text-align:left;color:var(--muted);font-size:.86rem;padding:0 0 .5rem}
th{text-align:left;font-weight:600;color:var(--muted);font-size:.82rem;border-bottom:1px solid var(--line);padding:.5rem .65rem;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:.65rem;vertical-align:top}
tbody tr:last-child td{border-bottom:0}
td .sub{display:block;color:var(--muted);font-size:.82rem;margin-top:.1rem}
.mono{font-family:var(--mono);font-size:.84rem;overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
.num{font-variant-numeric:tabular-nums}
.empty{color:var(--muted);text-align:center;padding:2rem 1rem}
.filters{display:flex;gap:.75rem;align-items:flex-end;flex-wrap:wrap;margin:0 0 1rem}
.filters label{display:block;font-size:.84rem;font-weight:600;color:var(--muted);margin-bottom:.25rem}
.filters select,.filters input{width:auto;min-width:12rem}
.filters .error-text{color:var(--bad);font-size:.86rem;margin:.3rem 0 0;font-weight:550}
.pager{display:flex;gap:.75rem;justify-content:space-between;align-items:center;margin-top:1rem;font-size:.9rem}
.pager .spacer{flex:1}
.tiles{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:1rem;max-width:52rem}
.tile{display:block;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.1rem 1.25rem;color:var(--ink);text-decoration:none}
.tile:hover{border-color:#a9c6e6;box-shadow:0 1px 3px #0b6bcb1a}
.tile strong{display:block;color:var(--accent);margin-bottom:.25rem;font-size:1rem}
.tile span{color:var(--muted);font-size:.9rem}
.tile .badge{margin-top:.6rem}
.launches{list-style:none;margin:0;padding:0}
.launch{padding:1rem 0;border-top:1px solid var(--line)}
.launch:first-child{border-top:0;padding-top:.25rem}
.launch-head{display:flex;flex-wrap:wrap;align-items:center;gap:.35rem .75rem;margin-bottom:.6rem}
.launch-head .id{margin-left:auto;font-size:.82rem}
.launch-head .times{color:var(--muted);font-size:.88rem}
.launch-head .times time{color:var(--ink)}
dl.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.55rem 1.5rem;margin:0}
dl.facts>div{min-width:0}
dl.facts dt{font-size:.8rem;font-weight:600;color:var(--muted)}
dl.facts dd{font-size:.86rem}
dl.facts .wide{grid-column:1/-1}
dl.facts .bad dd{color:var(--bad)}
.kv{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.4rem 1.5rem;margin:0}
.kv.details{gap:.1rem 1rem;font-size:.86rem}
.kv.details dd{font-size:.82rem}
.chips{display:flex;flex-wrap:wrap;gap:.35rem}
pre{background:#f2f4f7;border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;overflow:auto;font-family:var(--mono);font-size:.82rem;line-height:1.45;max-height:26rem;margin:0}
.new-key{border:1px solid #abefc6;background:var(--ok-soft);border-radius:10px;padding:1rem 1.25rem;margin:0 0 1.25rem}
.new-key h2{color:#054f31}
.sign-in{max-width:25rem;margin:4.5rem auto 2rem;padding:0 1rem}
.sign-in .card{padding:1.75rem 2rem}
.sign-in h1{font-size:1.3rem}
.stack-field{margin:0 0 1rem}
.stack-field label{display:block;font-weight:600;margin-bottom:.3rem}
.stack-field .error-text{color:var(--bad);font-size:.88rem;font-weight:550;margin:.35rem 0 0}
.sign-in button[type=submit]{width:100%;justify-content:center;padding:.65rem}
@media (max-width:860px){
  .shell{grid-template-columns:minmax(0,1fr)}
  nav.side{display:flex;flex-wrap:wrap;align-items:center;gap:.15rem;border-right:0;border-bottom:1px solid var(--line);padding:.45rem .6rem}
  nav.side ul,nav.side li{display:contents}
  nav.side a{padding:.3rem .55rem;font-size:.92rem}
  nav.side .sep{display:none}
  .content{padding:1.25rem 1rem 2.5rem}
  .topbar{padding:.6rem 1rem}
  .topbar .org{display:none}
}
@media (max-width:640px){
  .field{grid-template-columns:minmax(0,1fr);padding:.85rem 0}
  .field>.label{padding-top:0}
  .copy{flex-direction:column}
  .copy button{align-self:flex-start}
  .kv{grid-template-columns:minmax(0,1fr);gap:.1rem}
  .kv dd{margin-bottom:.5rem}
  .topbar .who .email{display:none}
  .tiles{grid-template-columns:minmax(0,1fr)}
  table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
  table.stack tr{border-bottom:1px solid var(--line);padding:.55rem 0}
  table.stack tbody tr:last-child{border-bottom:0}
  table.stack td{border:0;padding:.18rem 0}
  table.stack caption{display:block}
  table.stack td[data-label]::before{content:attr(data-label);display:block;font-size:.8rem;font-weight:600;color:var(--muted)}
  .launch-head .id{margin-left:0;flex-basis:100%}
  dl.facts{grid-template-columns:minmax(0,1fr);gap:.4rem}
}
`;
