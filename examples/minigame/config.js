// Your backend (see the wire protocol in tmsdk-profile's docs/contract.md). Add its domain to the game's
// request domain list (request合法域名) in the WeChat MP console.
module.exports = {
  server: "https://api.example.com",
};
