/**
 * The console's one script of its own: copy buttons. Pages work without it (the values sit in
 * read-only fields a person can select); with it, the Copy buttons appear.
 */
export const CONSOLE_SCRIPT = `(function () {
  'use strict';
  function reveal() {
    document.querySelectorAll('button[data-copy][hidden]').forEach(function (b) { b.hidden = false; });
  }
  function announce(text) {
    var live = document.getElementById('live');
    if (live) { live.textContent = ''; setTimeout(function () { live.textContent = text; }, 30); }
  }
  function copied(button) {
    var label = button.getAttribute('data-label') || button.textContent;
    button.setAttribute('data-label', label);
    button.textContent = 'Copied';
    announce('Copied to the clipboard');
    setTimeout(function () { button.textContent = label; }, 1600);
  }
  function fallback(field, button) {
    if (!field.select) return;
    field.focus();
    field.select();
    try { if (document.execCommand('copy')) copied(button); } catch (e) { /* the value stays selected */ }
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-copy]') : null;
    if (!button) return;
    event.preventDefault();
    var field = document.getElementById(button.getAttribute('data-copy'));
    if (!field) return;
    var value = 'value' in field ? field.value : field.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(function () { copied(button); }, function () { fallback(field, button); });
    } else {
      fallback(field, button);
    }
  });
  document.addEventListener('DOMContentLoaded', reveal);
  document.addEventListener('htmx:afterSettle', reveal);
})();
`;
