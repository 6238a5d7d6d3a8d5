// Where the shopping assistant's chat panel goes (issue 12): every page renders this slot in the
// frame. Until the assistant service answers at /api/assistant, it renders nothing. The panel
// itself belongs in a lazy chunk (like seller/ and admin/) so the storefront's first load stays small:
// a button "Ask the shopping assistant" opening a dialog with a "Message" textbox and a "Send" button.
export function AssistantSlot() {
  return null;
}
