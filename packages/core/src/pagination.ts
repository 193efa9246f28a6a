import type { Pagination } from './envelope';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  page: number;
  page_size: number;
}

export const pageOffset = ({ page, page_size }: PageRequest): number => (page - 1) * page_size;

export const pagination = ({ page, page_size }: PageRequest, total: number): Pagination => {
  const totalPages = Math.max(1, Math.ceil(total / page_size));
  return {
    total,
    page,
    page_size,
    total_pages: totalPages,
    has_next: page < totalPages,
    has_previous: page > 1,
  };
};
