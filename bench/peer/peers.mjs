// Both peers, by the labels the benchmark prints.
import * as handwritten from "./handwritten.mjs";
import * as zod from "./zod.mjs";

export const peers = { "hand-written": handwritten, zod };
