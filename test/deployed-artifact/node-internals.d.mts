/** Whether Node's own copy of undici has been loaded in this process (see node-internals.mjs). */
export declare function nodeBundledUndiciLoaded(): boolean;
