function (root) {
// The every-k slider: decodes the quantized factors and redraws the rank-k picture on a canvas.
var d=JSON.parse(root.querySelector(".mflib-slider-data").textContent);
var input=root.querySelector(".mflib-slider-input"),out=root.querySelector(".mflib-slider-readout");
var canv=root.querySelectorAll(".mflib-slider-canvas"),caps=root.querySelectorAll(".mflib-slider-panel-readout");
var lo=d.clip[0],f=255/(d.clip[1]-d.clip[0]);
function buf(s){var b=atob(s),a=new Uint8Array(b.length);
  for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);return a.buffer;}
function prep(M){
  var q8=new Int8Array(buf(M.q8)),q16=new Int16Array(buf(M.q16)),sc=new Float32Array(buf(M.scale));
  var m=M.m,n=M.n,U=new Float32Array(M.r*m),V=new Float32Array(M.r*n),o8=0,o16=0;
  for(var i=0;i<M.r;i++){var q,o;
    if(M.bits[i]===16){q=q16;o=o16;o16+=m+n;}else{q=q8;o=o8;o8+=m+n;}
    for(var y=0;y<m;y++)U[i*m+y]=q[o+y]*sc[i];
    for(var x=0;x<n;x++)V[i*n+x]=q[o+m+x];}
  var acc=new Float32Array(m*n);
  return {m:m,n:n,r:M.r,U:U,V:V,acc:acc,k:0,snap:{0:acc.slice()},stride:Math.max(4,Math.ceil(M.r/16))};}
function term(M,A,i,sgn){  // A += sgn * (scaled u_i) v_i^T, one row at a time
  var m=M.m,n=M.n,U=M.U,V=M.V,vo=i*n;
  for(var y=0;y<m;y++){var a=sgn*U[i*m+y];if(a===0)continue;var row=y*n;
    for(var x=0;x<n;x++)A[row+x]+=a*V[vo+x];}}
function goTo(M,k){  // from the current rank or the nearest snapshot, whichever needs fewer terms
  var best=Math.abs(k-M.k),from=-1;
  for(var c in M.snap){var dd=Math.abs(k-c);if(dd<best){best=dd;from=+c;}}
  if(from>=0){M.acc.set(M.snap[from]);M.k=from;}
  while(M.k<k){term(M,M.acc,M.k,1);M.k++;if(M.k%M.stride===0&&!M.snap[M.k])M.snap[M.k]=M.acc.slice();}
  while(M.k>k){M.k--;term(M,M.acc,M.k,-1);}}
function warm(M){  // in idle moments, snapshots every `stride` terms, so a long jump stays short
  if(M.wk===undefined){M.wk=0;M.wacc=new Float32Array(M.m*M.n);}
  var end=Math.min(M.r,M.wk+M.stride);
  while(M.wk<end){term(M,M.wacc,M.wk,1);M.wk++;}
  if(!M.snap[M.wk])M.snap[M.wk]=M.wacc.slice();
  if(M.wk<M.r)setTimeout(function(){warm(M);},0);else M.wacc=null;}
var panels=d.panels.map(function(p,j){
  var ctx=canv[j].getContext("2d"),img=ctx.createImageData(p.w,p.h);
  for(var i=3;i<img.data.length;i+=4)img.data[i]=255;
  return {p:p,ctx:ctx,img:img,mats:p.mats.map(prep)};});
function draw(P){
  var D=P.img.data,w=P.p.w,h=P.p.h,N=w*h,ms=P.mats,A,c,p,v;
  if(P.p.layout==="gray"){A=ms[0].acc;for(p=0;p<N;p++){v=(A[p]-lo)*f;D[4*p]=v;D[4*p+1]=v;D[4*p+2]=v;}}
  else if(P.p.layout==="channels"){for(c=0;c<3;c++){A=ms[c].acc;for(p=0;p<N;p++)D[4*p+c]=(A[p]-lo)*f;}}
  else if(P.p.layout==="wide"){A=ms[0].acc;
    for(var y=0;y<h;y++)for(c=0;c<3;c++){var o=(3*y+c)*w;for(var x=0;x<w;x++)D[4*(y*w+x)+c]=(A[o+x]-lo)*f;}}
  else{A=ms[0].acc;for(c=0;c<3;c++){for(p=0;p<N;p++)D[4*p+c]=(A[c*N+p]-lo)*f;}}
  P.ctx.putImageData(P.img,0,0);}
function show(k){
  panels.forEach(function(P,j){var r=P.p.ranks[k-1];P.mats.forEach(function(M){goTo(M,r);});draw(P);
    if(caps[j])caps[j].textContent=P.p.readouts[k-1];});
  out.textContent=d.readouts[k-1];input.value=k;}
input.addEventListener("input",function(){show(+input.value);});
show(+input.value);
setTimeout(function(){panels.forEach(function(P){P.mats.forEach(warm);});},50);
}
