export declare const SDK_TYPES_PATH: string;
export declare const generateSdkTypes: (document: unknown) => Promise<string>;
