export * from "./collectSnapshot.js";
export * from "./createSampleHistory.js";
export * from "./registerDashboard.js";
export * from "./renderDashboardPage.js";
export * from "./startDashboardServer.js";
