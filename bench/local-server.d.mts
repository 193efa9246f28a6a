/** Types of local-server.mjs, for the browser tests that start the same local server. */
export interface BenchServer {
  base: string;
  stop: () => Promise<void>;
}

export declare const startBenchServer: (options: {
  port: number;
  state: string;
  fonts?: boolean;
  vars?: string[];
}) => Promise<BenchServer>;
