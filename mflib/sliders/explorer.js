function (root) {
  // Nearest words by cosine similarity over 8-bit quantized word vectors, computed in the page.
  // The payload holds the words and their int8 codes (base64, row-major n x dim); scales cancel in a cosine.
  var d = JSON.parse(root.querySelector(".mflib-slider-data").textContent);
  var input = root.querySelector(".mflib-explorer-input");
  var list = root.querySelector(".mflib-explorer-list");
  var status = root.querySelector(".mflib-explorer-status");
  function bytes(s) {
    var b = atob(s), a = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) a[i] = b.charCodeAt(i);
    return a.buffer;
  }
  var n = d.words.length, dim = d.dim;
  var codes = new Int8Array(bytes(d.codes)), V = new Float32Array(n * dim);
  var index = {};
  for (var w = 0; w < n; w++) {           // dequantize and scale each row to unit length once
    var o = w * dim, s = 0;
    for (var j = 0; j < dim; j++) s += codes[o + j] * codes[o + j];
    var f = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (j = 0; j < dim; j++) V[o + j] = codes[o + j] * f;
    index[d.words[w]] = w;
  }
  function nearest(word, k) {
    var q = index[word];
    if (q === undefined) return null;
    var qo = q * dim, best = [];           // keep the k best in a small sorted array
    for (var w = 0; w < n; w++) {
      if (w === q) continue;
      var o = w * dim, s = 0;
      for (var j = 0; j < dim; j++) s += V[o + j] * V[qo + j];
      if (best.length < k || s > best[best.length - 1][1]) {
        var i = best.length < k ? best.length : k - 1;
        while (i > 0 && best[i - 1][1] < s) { best[i] = best[i - 1]; i--; }
        best[i] = [d.words[w], s];
      }
    }
    return best;
  }
  function show(word) {
    word = (word || "").trim().toLowerCase();
    var t0 = performance.now(), res = nearest(word, d.k), ms = performance.now() - t0;
    list.textContent = "";
    if (!res) {
      status.textContent = word ? "\u201c" + word + "\u201d is not among the " + n + " words shipped with the page." : "";
      return null;
    }
    res.forEach(function (r) {
      var li = document.createElement("li");
      li.textContent = r[0] + "  " + r[1].toFixed(3);
      list.appendChild(li);
    });
    status.textContent = d.k + " nearest of " + n + " words to \u201c" + word + "\u201d, in " + ms.toFixed(1) + " ms";
    return ms;
  }
  root.mflibQuery = show;                  // the browser test measures a query through this
  input.addEventListener("input", function () { show(input.value); });
  root.querySelectorAll(".mflib-explorer-pick").forEach(function (b) {
    b.addEventListener("click", function () { input.value = b.textContent; show(b.textContent); });
  });
  show(input.value);
}
