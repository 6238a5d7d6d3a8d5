// The browser entry: picks up the server-rendered page (and its data) or renders from scratch.
import { hydrate } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App, makeQueryClient } from './App.js';
import './styles.css';

declare global {
  interface Window {
    __MB__?: { hydrate: boolean; state: unknown };
  }
}

const boot = window.__MB__;
const client = makeQueryClient();
if (boot?.state) hydrate(client, boot.state);
const app = (
  <StrictMode>
    <BrowserRouter>
      <App client={client} />
    </BrowserRouter>
  </StrictMode>
);
const root = document.getElementById('root')!;
if (boot?.hydrate) hydrateRoot(root, app);
else {
  root.textContent = '';
  createRoot(root).render(app);
}
