// Bundles entry.js the way plotly.js bundles itself (its esbuild-config.js, v4.1.1), minified, into argv[2].
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const { version } = require('plotly.js/package.json');

esbuild.build({
    entryPoints: ['./entry.js'],
    outfile: process.argv[2],
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    legalComments: 'eof',
    banner: {js: `/* plotly.js v${version} (MIT licence, Copyright Plotly, Inc.): core + bar, heatmap, contour, ` +
                  'histogram, scattergl. Built by tools/plotly_bundle for GAN Playground. */'},
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' },
    target: 'es2016',
    logLevel: 'info',
}).catch(() => process.exit(1));
