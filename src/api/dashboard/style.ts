/**
 * The dashboard's only style sheet, inlined into each page under a CSP nonce. Text colours meet
 * WCAG AA (4.5:1) on their backgrounds in light and dark mode; late and down jobs carry a
 * coloured edge and tint besides their badge, so they stand out at a glance.
 *
 * @example
 * ```ts
 * import { DASHBOARD_CSS } from "./style.ts";
 * DASHBOARD_CSS.includes(".s-late"); // true
 * ```
 * @module
 */

/**
 * The style sheet: readable from 375 px up, light and dark.
 *
 * @example
 * ```ts
 * import { DASHBOARD_CSS } from "./style.ts";
 * const style = `<style>${DASHBOARD_CSS}</style>`;
 * ```
 */
export const DASHBOARD_CSS = `
:root{--bg:#f7f7f8;--fg:#1d2024;--muted:#6b7280;--card:#fff;--line:#e4e6ea;--accent:#3b5bdb;
--ok:#2f9e44;--fail:#e03131;--timeout:#f08c00;--cancel:#868e96;--skip:#ced4da;--abandon:#9c36b5;--dead:#862e2e;--run:#1c7ed6;
--t-ok:#237a35;--t-fail:#c92a2a;--t-timeout:#b35900;--t-cancel:#495057;--t-abandon:#9c36b5;--t-run:#1864ab;
--late:#f5a300;--late-tint:#fff4e0;--down:#7b1010;--down-tint:#fde8e8}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--fg:#e8eaed;--muted:#9aa0a6;--card:#1f2227;--line:#2e3238;--accent:#91a7ff;--skip:#495057;
--t-ok:#51cf66;--t-fail:#ff6b6b;--t-timeout:#ffa94d;--t-cancel:#adb5bd;--t-abandon:#da77f2;--t-run:#74c0fc;--late-tint:#3a2c10;--down-tint:#3b1616}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.skip{position:absolute;left:-999px;top:0;z-index:3;background:var(--card);padding:.4rem .8rem}.skip:focus{left:.5rem}
header{display:flex;align-items:center;gap:.75rem;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line);position:sticky;top:0;z-index:2}
.brand{font-weight:700;font-size:1.1rem;color:var(--fg)}.ver{color:var(--muted);font-size:.8rem}
.live{margin-left:auto;font-size:.8rem;color:var(--muted)}.live::before{content:"";display:inline-block;width:.55rem;height:.55rem;border-radius:50%;background:var(--cancel);margin-right:.35rem}
.live.on::before{background:var(--ok)}.spacer{margin-left:auto}
header form{margin:0}
main{max-width:1180px;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 .8rem;display:flex;align-items:center;gap:.6rem;flex-wrap:wrap;word-break:break-all}
h2{font-size:1.05rem;margin:1.4rem 0 .6rem}
.back{margin:0 0 .6rem}
.summary{color:var(--muted);margin:0 0 .8rem}.summary a{color:inherit}.summary a:hover{color:var(--accent)}
.summary .sum-down{color:var(--t-fail);font-weight:700}.summary .sum-late{color:var(--t-timeout);font-weight:700}.summary .sum-failing{color:var(--t-fail)}
.filter{display:flex;gap:.4rem .6rem;align-items:center;flex-wrap:wrap;margin:0 0 .9rem}.filter label{color:var(--muted);font-size:.85rem}
.filter input{width:14rem;max-width:100%}
.jobs{display:flex;flex-direction:column;gap:.5rem}
.job,.jobs-head{display:grid;grid-template-columns:minmax(10rem,1.4fr) minmax(10rem,1.5fr) 8rem 11.5rem minmax(4rem,.6fr) 18.5rem;gap:.4rem .9rem;align-items:center}
.job{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.55rem .8rem}
.job.st-late{border-left:5px solid var(--late);background:var(--late-tint)}
.job.st-down{border-left:5px solid var(--down);background:var(--down-tint)}
.job.st-late,.job.st-down{--muted:#575d69;--t-timeout:#9a4d00;--t-ok:#1f6b30}
@media (prefers-color-scheme:dark){.job.st-late,.job.st-down{--muted:#9aa0a6;--t-timeout:#ffa94d;--t-ok:#51cf66}}
.jobs-head{padding:0 calc(.8rem + 1px);color:var(--muted);font-size:.78rem;text-transform:uppercase;letter-spacing:.04em}
.name{display:flex;align-items:center;flex-wrap:wrap;gap:.2rem .45rem;min-width:0}.name a{font-weight:600;overflow-wrap:anywhere}
.sched{min-width:0}.sched small{display:block;color:var(--muted);font-family:ui-monospace,monospace;font-size:.75rem;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.grace{color:var(--muted);white-space:nowrap}.hint{color:var(--muted);font-size:.85rem;align-self:center}
.lbl{display:none;color:var(--muted);font-size:.75rem;margin-right:.3rem}
.badge{font-size:.72rem;font-weight:600;padding:.08rem .45rem;border-radius:99px;background:var(--line);color:var(--fg);white-space:nowrap}
.s-running{background:#1864ab;color:#fff}.s-failing{background:#c92a2a;color:#fff}.s-stopped{background:#862e2e;color:#fff}
.s-paused{background:#b35900;color:#fff}.s-orphaned{background:#9c36b5;color:#fff}.s-done{background:var(--skip);color:#1d2024}
.s-late{background:var(--late);color:#1d2024}.s-down{background:var(--down);color:#fff;text-transform:uppercase}
.ob-succeeded{background:#237a35;color:#fff}.ob-failed,.ob-dead{background:#c92a2a;color:#fff}.ob-timed_out{background:#b35900;color:#fff}
.ob-cancelled,.ob-skipped{background:#495057;color:#fff}.ob-abandoned{background:#9c36b5;color:#fff}.ob-running{background:#1864ab;color:#fff}
.o{font-weight:600}.o-succeeded{color:var(--t-ok)}.o-failed,.o-dead{color:var(--t-fail)}.o-timed_out{color:var(--t-timeout)}.o-cancelled,.o-skipped{color:var(--t-cancel)}.o-abandoned{color:var(--t-abandon)}.o-running{color:var(--t-run)}
.strip{display:flex;gap:2px;align-items:flex-end;height:22px}
.bar{display:block;width:9px;height:20px;border-radius:2px;background:var(--skip)}
.b-succeeded{background:var(--ok)}.b-failed{background:var(--fail)}.b-timed_out{background:var(--timeout)}.b-cancelled{background:var(--cancel)}
.b-abandoned{background:var(--abandon)}.b-dead{background:var(--dead)}.b-running{background:var(--run);animation:pulse 1s ease-in-out infinite alternate}
@keyframes pulse{from{opacity:1}to{opacity:.35}}
@media (prefers-reduced-motion:reduce){.b-running,.c-running{animation:none}}
.strip-cell{min-width:0;overflow:hidden}
.chart{margin:0 0 .8rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem .7rem}
.chart-box{position:relative;padding-top:1rem}.axis{position:absolute;top:0;left:0;font-size:.72rem;color:var(--muted)}
.chart svg{display:block;width:100%;height:72px;border-bottom:1px solid var(--line)}
.chart rect{fill:var(--skip)}.chart .c-succeeded{fill:var(--ok)}.chart .c-failed{fill:var(--fail)}.chart .c-timed_out{fill:var(--timeout)}
.chart .c-cancelled{fill:var(--cancel)}.chart .c-abandoned{fill:var(--abandon)}.chart .c-dead{fill:var(--dead)}.chart .c-running{fill:var(--run);animation:pulse 1s ease-in-out infinite alternate}
.chart figcaption{font-size:.8rem;color:var(--muted);margin-top:.3rem}
.actions{display:flex;gap:.35rem;flex-wrap:wrap;justify-content:flex-end}.actions form{display:flex;gap:.25rem;margin:0}
.actions select{max-width:7rem}.toolbar.actions{justify-content:flex-start}
button,select,input{font:inherit;font-size:.85rem;border:1px solid var(--muted);border-radius:6px;padding:.28rem .6rem;background:var(--card);color:var(--fg)}
button{cursor:pointer;font-weight:600}button:hover{border-color:var(--accent)}button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
@media (prefers-color-scheme:dark){button.primary{color:#16181c}}
button:disabled{opacity:.5;cursor:wait}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.8rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{text-align:left;padding:.4rem .7rem;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:.78rem;text-transform:uppercase;letter-spacing:.03em}td.err{white-space:normal;min-width:12rem;overflow-wrap:anywhere}
td .sub{display:none}.rid{font-family:ui-monospace,monospace;font-size:.78rem}
tr:target{background:rgba(59,91,219,.12)}
.empty{color:var(--muted);padding:1rem;text-align:center}
.toolbar{display:flex;gap:.5rem;align-items:center;margin:.2rem 0 1rem;flex-wrap:wrap}
pre.log{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem;margin:0;max-height:70vh;overflow:auto;
font:.82rem/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
.log-foot{display:flex;justify-content:space-between;gap:1rem;color:var(--muted);font-size:.85rem}.note{color:var(--muted)}
.error-text{color:var(--t-fail)}
.error-page h1 small{color:var(--muted);font-weight:400;font-size:1rem}
#toast{position:fixed;left:50%;bottom:1rem;transform:translateX(-50%);background:var(--fg);color:var(--bg);padding:.5rem .9rem;border-radius:8px;font-size:.9rem;opacity:0;transition:opacity .2s;pointer-events:none;max-width:92vw}
#toast.show{opacity:.95}#toast.bad{background:var(--fail);color:#fff}
.login{max-width:22rem;margin:12vh auto;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.4rem}
.login input{width:100%;margin:.4rem 0 .8rem;padding:.5rem}.login .error{color:var(--t-fail)}
@media (max-width:820px){
 .jobs-head{display:none}
 .job{grid-template-columns:1fr auto;gap:.3rem .6rem}
 .job .name,.job .sched,.job .strip-cell{grid-column:1/-1}
 .job .actions{grid-column:1/-1;justify-content:flex-start}
 .lbl{display:inline}
 main{padding:.6rem}
}
@media (max-width:640px){
 th.opt,td.opt{display:none}
 td .sub{display:block;color:var(--muted);font-size:.78rem;white-space:normal;overflow-wrap:anywhere;max-width:11rem}
 th,td{padding:.35rem .4rem}th{letter-spacing:0}
 .rid{display:inline-block;max-width:3.5rem;overflow:hidden;text-overflow:ellipsis;vertical-align:bottom}
 .filter input{width:100%}.filter label[for=state]{margin-left:0}
}
`;
