/* The run list: while a listed run is Pending or Running, reload every two seconds so its
   phase and duration move (the filter stays, it is in the address). */
"use strict";
(function main() {
  const going = document.querySelectorAll('#runs tr.run[data-phase="Running"], #runs tr.run[data-phase="Pending"]');
  if (going.length) setTimeout(() => window.location.reload(), 2000);
})();
