// Tailwind v3 (CLI from npm, pinned in package.json). Dark mode follows the system setting.
/** @type {import('tailwindcss').Config} */
module.exports = {
  darkMode: "media",
  content: ["../django_loyalty/pages/templates/**/*.html", "../django_loyalty/pages/static/pages/*.js"],
  theme: { extend: {} },
  plugins: [],
};
