// The chat demo's page, kept as a string constant so it ships inside dist/ with no copy
// step and no asset lookup at run time. Self-contained (no CDN, no fonts): it works offline.
// The inline script avoids template literals so this outer literal needs no escaping.
// User data only ever reaches the DOM through textContent, never innerHTML.

/** HTML for GET / of the chat demo; talks to ws://<location.host>/ with the browser's WebSocket. */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wscodec chat</title>
<link rel="icon" href="data:,">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 42rem; padding: 1rem; }
  #status { color: #555; margin: 0 0 .5rem; }
  #status.error { color: #b00020; }
  #messages { list-style: none; margin: 0 0 .5rem; padding: .5rem; height: 60vh; overflow-y: auto;
    border: 1px solid #ccc; border-radius: 4px; }
  #messages li { margin: .15rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
  #messages .notice { color: #666; font-style: italic; }
  #messages .error { color: #b00020; }
  #messages .from { font-weight: 600; margin-right: .4rem; }
  form { display: flex; gap: .5rem; }
  #input { flex: 1; padding: .4rem; }
</style>
</head>
<body>
<h1>wscodec chat</h1>
<p id="status">Not connected.</p>
<ul id="messages" aria-live="polite"></ul>
<form id="form">
  <button type="button" id="connect">Connect</button>
  <input id="input" autocomplete="off" placeholder="Type a message, Enter sends" disabled>
  <button type="submit" id="send" disabled>Send</button>
</form>
<script>
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var status = $('status'), list = $('messages'), input = $('input');
  var sendButton = $('send'), connectButton = $('connect');
  var socket = null;
  var myName = null;

  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  function addLine(kind, text, from) {
    var li = document.createElement('li');
    li.className = kind;
    if (from) {
      var name = document.createElement('span');
      name.className = 'from';
      name.textContent = from + ':';
      li.appendChild(name);
    }
    li.appendChild(document.createTextNode(text));
    // Only follow new lines when the reader is already at the bottom.
    var atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.appendChild(li);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function setConnected(connected) {
    input.disabled = !connected;
    sendButton.disabled = !connected;
    connectButton.textContent = connected ? 'Disconnect' : 'Connect';
    if (connected) input.focus();
  }

  function onServerMessage(event) {
    var msg;
    try { msg = JSON.parse(event.data); } catch (e) { msg = null; }
    if (!msg || typeof msg.type !== 'string') {
      addLine('error', 'unreadable message from server');
      return;
    }
    if (msg.type === 'message') addLine('message', String(msg.text), String(msg.from));
    else if (msg.type === 'welcome') {
      myName = msg.name;
      addLine('notice', 'You are ' + msg.name + ' (' + msg.online + ' online)');
    }
    // The welcome already said it; our own join notice would repeat it.
    else if (msg.type === 'join' && msg.name !== myName) addLine('notice', msg.name + ' joined (' + msg.online + ' online)');
    else if (msg.type === 'leave') addLine('notice', msg.name + ' left (' + msg.online + ' online)');
    else if (msg.type === 'error') addLine('error', 'server: ' + msg.text);
  }

  function connect() {
    setStatus('Connecting to ws://' + location.host + '/ ...');
    socket = new WebSocket('ws://' + location.host + '/');
    socket.onopen = function () { setStatus('Connected.'); setConnected(true); };
    socket.onmessage = onServerMessage;
    // 'error' carries no detail in browsers; the close event that follows has the code.
    socket.onerror = function () { setStatus('Connection error.', true); };
    socket.onclose = function (event) {
      var why = 'Disconnected (code ' + event.code + (event.reason ? ', ' + event.reason : '') + ').';
      setStatus(why, event.code !== 1000 && event.code !== 1005);
      addLine('notice', why);
      setConnected(false);
      socket = null;
    };
  }

  connectButton.addEventListener('click', function () {
    if (socket) socket.close(1000, 'bye');
    else connect();
  });

  // A form submit covers both the Send button and Enter in the input.
  $('form').addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value;
    if (!socket || socket.readyState !== WebSocket.OPEN || text.trim() === '') return;
    socket.send(text);
    input.value = '';
    input.focus();
  });
})();
</script>
</body>
</html>
`;
