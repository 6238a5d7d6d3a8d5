// The shopping assistant (issue 12) on every page: a button that opens the chat panel. The panel is
// its own chunk, loaded on the first click, so the storefront's first load does not grow.
import { lazy, Suspense, useRef, useState } from 'react';

const AssistantPanel = lazy(() => import('./AssistantPanel.js'));

export function AssistantSlot() {
  const [open, setOpen] = useState(false);
  const launcher = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    launcher.current?.focus();
  };
  return (
    <aside aria-label="Shopping assistant">
      <button
        ref={launcher}
        type="button"
        className="assistant-launcher"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
          <path d="M4 5h16v10H8l-4 4z" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        </svg>
        <span>Ask the shopping assistant</span>
      </button>
      {open && (
        <Suspense fallback={null}>
          <AssistantPanel onClose={close} />
        </Suspense>
      )}
    </aside>
  );
}
