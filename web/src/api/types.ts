//! The API's bodies, written once from the OpenAPI document (shared/src/http/openapi.json).

export type Role = 'user' | 'admin';
export type MediaStatus = 'processing' | 'ready' | 'failed';

export interface User {
  username: string;
  tier: string;
  role: Role;
}

export interface Token {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Placeholder {
  thumbhash: string;
  color: string;
}

export interface ImageRef {
  url: string;
  width: number;
  height: number;
  content_type: 'image/jpeg';
  placeholder: Placeholder | null;
}

export interface Failure {
  code: string;
  message: string;
}

export interface Comment {
  id: string;
  post_id: string;
  author: string;
  text: string;
  created_at: string;
}

export interface Post {
  id: string;
  author: string;
  caption: string;
  alt_text: string;
  created_at: string;
  status: MediaStatus;
  failure?: Failure;
  comment_count: number;
  image: ImageRef | null;
  recent_comments: Comment[];
}

export interface LibraryImage {
  id: string;
  title: string;
  status: MediaStatus;
  failure?: Failure;
  width: number | null;
  height: number | null;
  url: string | null;
  thumbnails: Record<string, string>;
  original_url?: string;
  created_at: string;
  alt_text: string;
  placeholder: Placeholder | null;
}

export interface Link {
  url: string;
  expires_at: string;
}

export interface Tier {
  name: string;
  thumbnail_heights: number[];
  original_link: boolean;
  expiring_links: boolean;
}

export interface UploadSummary {
  id: string;
  status: 'uploading' | 'uploaded' | 'aborted';
  filename: string;
  content_type: string;
  size: number;
  part_size: number;
  created_at: string;
  expires_at: string;
  parts_received_count: number;
}

export interface Limits {
  tier?: Tier;
  links?: { min_expires_in: number; max_expires_in: number };
  upload?: { max_bytes: number; part_size: number; formats: string[]; form_max_bytes: number };
}
