// The peers, by the labels the benchmark prints: hand-written JS, zod 4 with preprocessing (zod.mjs), and
// zod 4 written the plain way (zod-plain.mjs).
import * as handwritten from "./handwritten.mjs";
import * as zod from "./zod.mjs";
import * as zodPlain from "./zod-plain.mjs";

export const peers = { "hand-written": handwritten, zod, "zod plain": zodPlain };
