/** Where `apt-get install chromium` puts it (scripts/system-deps.sh). */
export declare const CHROMIUM: string;
/** Flags for every launch. */
export declare const CHROMIUM_ARGS: string[];
