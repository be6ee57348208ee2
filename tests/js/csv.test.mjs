import assert from "node:assert/strict";
import { test } from "node:test";

import { parseCsv, refusals } from "../../app/static/js/lib/csv.js";

test("quoted cells keep their commas, quotes and line breaks", () => {
  assert.deepEqual(parseCsv('a,"b, c","say ""hi""","two\nlines"\r\nx,y,,\n'),
    [["a", "b, c", 'say "hi"', "two\nlines"], ["x", "y", "", ""]]);
});

test("the refused rows are read from the report's own line, column and reason", () => {
  const text = '\ufeffname,phone,line,column,reason\r\nNed,not a phone,3,phone,"\'not a phone\' is not a valid phone number"\r\n';
  assert.deepEqual(refusals(text), [{ line: "3", column: "phone", reason: "'not a phone' is not a valid phone number" }]);
});

test("a file with a column of its own named line still reads the report's", () => {
  const text = "name,line,reason,line,column,reason\nAl,x,y,2,name,required\n";
  assert.deepEqual(refusals(text), [{ line: "2", column: "name", reason: "required" }]);
});
