// ESLint for the scripts in static/: ES modules in the browser (the phone app, the dashboard, the staff
// pages), the service worker as a classic script. Vendored libraries (static/vendor) are not ours to lint.
const js = require("@eslint/js");
const globals = require("globals");

const rules = {
  // catch (error) {} without using it is how the scripts say "whatever failed, fall back";
  // const { answers, ...rest } = record drops a field on purpose.
  "no-unused-vars": ["error", { caughtErrors: "none", ignoreRestSiblings: true }],
};

module.exports = [
  { ignores: ["static/vendor/**"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser, L: "readonly" } },
    rules,
  },
  {
    files: ["static/sw.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "script", globals: { ...globals.serviceworker } },
    rules,
  },
];
