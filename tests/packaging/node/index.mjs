// Packaging test consumer (Node ESM): the installed tarball's "." entry, one updateUserProfile.
import { install, TmSdkError } from "tmsdk-profile";
import { run } from "./run-flow.mjs";

run({ install, TmSdkError, flavour: "esm" });
