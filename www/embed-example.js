// The example documentation page's theme switch, as documentation generators have one: it sets
// data-theme on <html> (as Docusaurus and Starlight do), and the embeds with theme="auto"
// follow. Like the embeds, it stores nothing: the choice lasts until the page is left.

const button = document.getElementById('theme-switch');
const order = ['auto', 'light', 'dark'];
const labels = { auto: '◐ auto', light: '☀ light', dark: '☾ dark' };
const names = { auto: 'follow the system', light: 'light', dark: 'dark' };

function set(theme) {
  if (theme === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
  button.textContent = labels[theme];
  button.setAttribute('aria-label', `colour theme: ${names[theme]}`);
}

button.addEventListener('click', () => {
  const now = document.documentElement.getAttribute('data-theme') ?? 'auto';
  set(order[(order.indexOf(now) + 1) % order.length]);
});
