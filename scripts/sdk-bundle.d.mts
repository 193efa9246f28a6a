export declare const SDK_ENTRY: string;
export declare const bundleSdk: (options?: {
  contents?: string;
}) => Promise<{ code: string; bytes: number; gzipBytes: number }>;
