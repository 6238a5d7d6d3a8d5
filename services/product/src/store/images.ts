// SQL for product images: the files' keys in storage and the URLs clients use.
import type { Sql } from '@microbazaar/kit';

export interface ImageRow {
  id: string;
  productId: string;
  position: number;
  storage: string;
  originalKey: string;
  thumbnailKey: string | null;
  mediumKey: string | null;
  storageRef: string | null;
  url: string;
  thumbnailUrl: string;
  mediumUrl: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

const COLUMNS = `id, product_id AS "productId", position, storage, original_key AS "originalKey",
  thumbnail_key AS "thumbnailKey", medium_key AS "mediumKey", storage_ref AS "storageRef", url,
  thumbnail_url AS "thumbnailUrl", medium_url AS "mediumUrl", content_type AS "contentType", width, height, bytes`;

export function imageStore(sql: Sql) {
  /** Copies the product's image list onto products.images (what reads return), after any image change. */
  const syncProduct = async (productId: string): Promise<void> => {
    await sql.query(
      `UPDATE products SET images = COALESCE((
         SELECT jsonb_agg(jsonb_build_object('id', i.id, 'url', i.url, 'thumbnailUrl', i.thumbnail_url,
           'mediumUrl', i.medium_url, 'width', i.width, 'height', i.height) ORDER BY i.position, i.created_at)
           FROM product_images i WHERE i.product_id = $1), '[]'::jsonb), updated_at = now()
       WHERE id = $1`,
      [productId],
    );
  };

  return {
    syncProduct,

    async count(productId: string): Promise<number> {
      const [row] = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM product_images WHERE product_id = $1',
        [productId],
      );
      return Number(row?.n ?? 0);
    },

    /** Appends after the product's last image. */
    async insertMany(productId: string, images: Omit<ImageRow, 'productId' | 'position'>[]): Promise<void> {
      if (images.length === 0) return;
      const [row] = await sql.query<{ next: number }>(
        'SELECT COALESCE(max(position) + 1, 0)::int AS next FROM product_images WHERE product_id = $1',
        [productId],
      );
      const first = Number(row?.next ?? 0);
      const params: unknown[] = [productId];
      const values = images.map((img, i) => {
        const at = params.length;
        params.push(
          img.id,
          first + i,
          img.storage,
          img.originalKey,
          img.thumbnailKey,
          img.mediumKey,
          img.storageRef,
          img.url,
          img.thumbnailUrl,
          img.mediumUrl,
          img.contentType,
          img.width,
          img.height,
          img.bytes,
        );
        const p = (n: number) => `$${at + n}`;
        return `($1, ${Array.from({ length: 14 }, (_, k) => p(k + 1)).join(', ')})`;
      });
      await sql.query(
        `INSERT INTO product_images (product_id, id, position, storage, original_key, thumbnail_key, medium_key,
           storage_ref, url, thumbnail_url, medium_url, content_type, width, height, bytes)
         VALUES ${values.join(', ')}`,
        params,
      );
      await syncProduct(productId);
    },

    /** Deletes one image of a product; returns it (null when it is not this product's). */
    async delete(productId: string, imageId: string): Promise<ImageRow | null> {
      const rows = await sql.query<ImageRow>(
        `DELETE FROM product_images WHERE product_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [productId, imageId],
      );
      if (rows[0]) await syncProduct(productId);
      return rows[0] ?? null;
    },

    /** The product's image ids in their order. */
    async ids(productId: string): Promise<string[]> {
      const rows = await sql.query<{ id: string }>(
        'SELECT id FROM product_images WHERE product_id = $1 ORDER BY position, created_at',
        [productId],
      );
      return rows.map((r) => r.id);
    },

    /** Puts the product's images in this order (the caller checked it names each image once). */
    async reorder(productId: string, imageIds: readonly string[]): Promise<void> {
      await sql.query(
        `UPDATE product_images i SET position = o.n - 1
           FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, n)
          WHERE i.product_id = $1 AND i.id = o.id`,
        [productId, imageIds],
      );
      await syncProduct(productId);
    },

    /** Of these original keys, those some image row still points at (seeded files are shared). */
    async keysInUse(keys: readonly string[]): Promise<Set<string>> {
      if (keys.length === 0) return new Set();
      const rows = await sql.query<{ key: string }>(
        'SELECT DISTINCT original_key AS key FROM product_images WHERE original_key = ANY($1::text[])',
        [keys],
      );
      return new Set(rows.map((r) => r.key));
    },
  };
}
