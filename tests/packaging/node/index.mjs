// Packaging test consumer (Node ESM): the installed tarball's "." entry, one updateUserProfile.
import { install, parseProfile, TmSdkError } from "tmsdk-profile";
import { run } from "./run-flow.mjs";

run({ install, TmSdkError, parseProfile, flavour: "esm" });
