// Copies a line of text to the clipboard: the Clipboard API where the page may use it, else the selected field.

/**
 * True when the text reached the clipboard. The headless UI opened over plain http on the LAN is not a secure
 * context, so `navigator.clipboard` is missing there: then the field holding the text is selected and copied the old
 * way, which browsers still allow from a click.
 */
export async function copyText(text: string, field?: HTMLInputElement): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused (no permission, page not focused): try the selection below
  }
  if (!field) return false;
  field.focus();
  field.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}
