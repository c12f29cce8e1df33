function (root) {
  // A slider over pre-rendered frames: every position's images and texts are in the JSON payload.
  var d = JSON.parse(root.querySelector(".mflib-slider-data").textContent);
  var input = root.querySelector(".mflib-slider-input"), out = root.querySelector(".mflib-slider-readout");
  var cap = root.querySelector(".mflib-slider-caption"), imgs = root.querySelectorAll(".mflib-slider-img");
  function show(i) {
    for (var j = 0; j < imgs.length; j++) imgs[j].src = d.frames[i][j];
    out.textContent = d.readouts[i];
    cap.textContent = d.captions[i];
  }
  input.addEventListener("input", function () { show(+input.value); });
}
