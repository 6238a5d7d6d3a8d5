// Image uploads with per-file progress (fetch cannot report upload progress; XMLHttpRequest can).
import { ApiError, toApiError } from './api.js';
import { session } from './session.js';
import type { Product } from './types.js';

function once(productId: string, file: File, token: string | null, onProgress: (fraction: number) => void) {
  return new Promise<{ status: number; response: Response }>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/products/${productId}/images`);
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () =>
      resolve({
        status: xhr.status,
        response: new Response(xhr.responseText || null, {
          status: xhr.status,
          headers: { 'content-type': 'application/json' },
        }),
      });
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The upload was interrupted. Try again.'));
    const form = new FormData();
    form.append('images', file, file.name);
    xhr.send(form);
  });
}

/** Uploads one picture; a 401 refreshes the session once. Answers the product with its images. */
export async function uploadImage(
  productId: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<Product> {
  let res = await once(productId, file, session.token(), onProgress);
  if (res.status === 401) {
    const token = await session.refresh();
    if (!token) {
      session.signOut('expired');
      throw new ApiError(401, 'UNAUTHORIZED', 'Your session ended. Sign in again.');
    }
    res = await once(productId, file, token, onProgress);
  }
  if (res.status < 200 || res.status >= 300) throw await toApiError(res.response);
  onProgress(1);
  return (await res.response.json()) as Product;
}
