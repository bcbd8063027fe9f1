import { defineConfig } from 'vite';

// `npm run dev` (port 5173) sends the API to the router on :4000, so the app and the graph are
// one origin as they are when the router serves the built app (make dev: http://localhost:4000/).
const router = process.env.TICKETFLOW_ROUTER_URL ?? 'http://localhost:4000';

export default defineConfig({
  server: { port: 5173, proxy: { '/graphql': { target: router, ws: true } } },
  build: { outDir: 'dist', sourcemap: true, target: 'es2022' },
  test: { environment: 'node', include: ['test/**/*.test.ts'] },
});
