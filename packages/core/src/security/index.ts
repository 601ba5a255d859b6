export * from "./aclRuleFor.js";
