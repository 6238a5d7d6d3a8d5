// Vite builds the browser bundle (dist/) and the server renderer the gateway loads (dist/server/).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.WEB_DEV_API ?? 'http://localhost:8080';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    port: 5173,
    // `npm run dev:web`: the app with hot reload, the API from a running `npm start`
    proxy: { '/api': api, '/media': api, '/health': api },
  },
});
