// esbuild bundles the style sheets the page script imports (http/dashboard-assets.ts); they export nothing.
declare module '*.css';
