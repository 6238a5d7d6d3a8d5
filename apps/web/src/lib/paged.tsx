// A list the API pages with cursors (`{items, nextCursor}`), read page after page, and its "Load more" button:
// the one shape the account, seller and admin tables share.
import { type QueryKey, useInfiniteQuery } from '@tanstack/react-query';
import { api } from './api.js';

interface CursorPage<T> {
  items: T[];
  nextCursor?: string | null;
}

/** The pages of `path(cursor)` under `queryKey`, and their items in one array. */
export function useCursorList<T>(queryKey: QueryKey, path: (cursor: string | undefined) => string) {
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => api<CursorPage<T>>(path(pageParam)),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return { list, items };
}

interface MorePages {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** "Load more" while the list has a next page; busy (and saying so) while it loads. */
export function LoadMore({ list, label = 'Load more' }: { list: MorePages; label?: string }) {
  if (!list.hasNextPage) return null;
  return (
    <p className="load-more">
      <button
        type="button"
        className="btn btn-secondary"
        onClick={() => list.fetchNextPage()}
        disabled={list.isFetchingNextPage}
        aria-busy={list.isFetchingNextPage}
      >
        {list.isFetchingNextPage ? 'Loading…' : label}
      </button>
    </p>
  );
}
