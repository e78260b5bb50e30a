// Packaging test consumer (Node CommonJS): the installed tarball's "." entry through require().
const { install, parseProfile, TmSdkError } = require("tmsdk-profile");

import("./run-flow.mjs").then(({ run }) => run({ install, TmSdkError, parseProfile, flavour: "cjs" }));
