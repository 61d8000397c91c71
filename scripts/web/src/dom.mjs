// What the page's two forms (page.mjs, liability_page.mjs) share of the DOM: finding an
// element, and the RPC the user chose in a form.
import { VerifyError, httpRpc, providerRpc } from './verify.mjs';

export const $ = (id) => document.getElementById(id);

// The user's wallet (EIP-1193) when the form's `useWalletId` box is checked, else the RPC URL
// typed into its `urlId` field.
export function chosenRpc(useWalletId, urlId) {
  if (!$(useWalletId).checked) return httpRpc($(urlId).value.trim());
  if (!window.ethereum) throw new VerifyError('unusable', 'input', 'no wallet (EIP-1193 provider) in this browser');
  return providerRpc(window.ethereum);
}
