<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../settings/about.py" line="88"/>
        <source>Could not read the details: %1</source>
        <translation>无法读取详细信息：%1</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="89"/>
        <source>Asking llama.cpp…</source>
        <translation>正在询问 llama.cpp…</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="93"/>
        <source>llama.cpp: could not be loaded (%1)</source>
        <translation>llama.cpp：无法加载（%1）</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="95"/>
        <source>llama.cpp (llama-cpp-python %1) · backend: %2 · GPU offload: %3</source>
        <translation>llama.cpp（llama-cpp-python %1）· 后端：%2 · GPU 卸载：%3</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="97"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="97"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="99"/>
        <source>CPU features used: %1</source>
        <translation>使用的 CPU 特性：%1</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="100"/>
        <source>none found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="101"/>
        <source>GPUs: %1</source>
        <translation>显卡：%1</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="103"/>
        <source>Data folder: %1</source>
        <translation>数据文件夹：%1</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="109"/>
        <location filename="../settings/about.py" line="126"/>
        <source>Copied. Paste it into your bug report; it holds no conversations or documents.</source>
        <translation>已复制。请粘贴到问题报告中；其中不含任何对话或文档。</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="115"/>
        <source>About Hearth</source>
        <translation>关于 Hearth</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="116"/>
        <source>Hearth %1</source>
        <translation>Hearth %1 版</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="117"/>
        <source>A private chat app that runs language models on your own computer. Nothing you type leaves it.</source>
        <translation>在你自己的电脑上运行语言模型的私密聊天应用。你输入的任何内容都不会离开这台电脑。</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="119"/>
        <source>Bundled parts and their licences:</source>
        <translation>内置组件及其许可证：</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="122"/>
        <source>Open data folder</source>
        <translation>打开数据文件夹</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="123"/>
        <source>Open logs</source>
        <translation>打开日志</translation>
    </message>
    <message>
        <location filename="../settings/about.py" line="124"/>
        <source>Copy diagnostics</source>
        <translation>复制诊断信息</translation>
    </message>
</context>
<context>
    <name>ApiGroup</name>
    <message>
        <location filename="../settings/api_group.py" line="107"/>
        <source>Copied. This key is shown only now: keep it where your programs can read it.</source>
        <translation>已复制。此密钥只显示这一次：请把它保存在你的程序能读取的地方。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="126"/>
        <source>The API key, shown this once: copy it now. Programs send it as “Authorization: Bearer &lt;key&gt;”.</source>
        <translation>API 密钥只显示这一次，请立即复制。程序以“Authorization: Bearer &lt;key&gt;”的形式发送它。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="138"/>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="140"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="142"/>
        <source>Serving at %1</source>
        <translation>正在 %1 提供服务</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="144"/>
        <source>Off.</source>
        <translation>已关闭。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="146"/>
        <source>Editors, scripts and Open WebUI reach your models and knowledge collections at this address with the API key (kept in %1). The server loads its own copy of the default chat model.</source>
        <translation>编辑器、脚本和 Open WebUI 可以用 API 密钥（保存在 %1）通过这个地址使用你的模型和知识库。服务器会单独加载一份默认对话模型。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="150"/>
        <source>Anyone on your network who has the key can use your models and read your knowledge collections.</source>
        <translation>网络中任何持有密钥的人都可以使用你的模型并读取你的知识库。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="156"/>
        <source>Local API server</source>
        <translation>本地 API 服务器</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="157"/>
        <source>Serve Hearth&apos;s models to other programs (OpenAI-compatible API)</source>
        <translation>向其他程序提供 Hearth 的模型（兼容 OpenAI 的 API）</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="158"/>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="159"/>
        <source>Allow other computers on the network</source>
        <translation>允许网络中的其他电脑连接</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="160"/>
        <source>Keep the API&apos;s chats as conversations</source>
        <translation>把 API 的聊天保存为对话</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="161"/>
        <source>Off: what other programs send is answered and forgotten (never logged). On: each request and its reply is kept as a conversation titled “API · …”.</source>
        <translation>关闭：其他程序发送的内容回答后即丢弃（从不记录）。开启：每个请求及其回复都会保存为标题为“API · …”的对话。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="163"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="164"/>
        <source>The port and the reach apply when the server starts: turn it off to change them.</source>
        <translation>端口和访问范围在服务器启动时生效：要修改请先关闭服务器。</translation>
    </message>
    <message>
        <location filename="../settings/api_group.py" line="166"/>
        <source>Off: only this computer can connect (127.0.0.1). On: other computers can, with the API key.</source>
        <translation>关闭：只有这台电脑能连接（127.0.0.1）。开启：其他电脑凭 API 密钥也能连接。</translation>
    </message>
</context>
<context>
    <name>ApiSwitch</name>
    <message>
        <location filename="../settings/api_server.py" line="63"/>
        <source>Choose another port, or close the program that uses this one.</source>
        <translation>请选择其他端口，或关闭占用此端口的程序。</translation>
    </message>
    <message>
        <location filename="../settings/api_server.py" line="67"/>
        <source>The API server could not start: %1</source>
        <translation>API 服务器无法启动：%1</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <location filename="../main/attachment_view.py" line="130"/>
        <source>Reading…</source>
        <translation>正在读取…</translation>
    </message>
    <message>
        <location filename="../main/attachment_view.py" line="151"/>
        <source>%1 tokens</source>
        <translation>%1 个 token</translation>
    </message>
    <message>
        <location filename="../main/attachment_view.py" line="155"/>
        <source>~%1 tokens</source>
        <translation>约 %1 个 token</translation>
    </message>
    <message>
        <location filename="../main/attachment_view.py" line="159"/>
        <source>Remove this attachment</source>
        <translation>移除此附件</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/attachment_view.py" line="173"/>
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n 页</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/attachment_view.py" line="179"/>
        <source>Open %1</source>
        <translation>打开 %1</translation>
    </message>
</context>
<context>
    <name>AttachmentDialog</name>
    <message>
        <location filename="../main/attach_dialogs.py" line="51"/>
        <source>This model</source>
        <translation>此模型</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="52"/>
        <source>%1 cannot see images. Nothing was sent.</source>
        <translation>%1 无法识别图片。消息未发送。</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="54"/>
        <source>Remove the image to send the text alone, or load a model that can see images.</source>
        <translation>请移除图片后只发送文字，或加载一个能识别图片的模型。</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="57"/>
        <source>Models in the catalog that can see images:</source>
        <translation>模型目录中能识别图片的模型：</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="59"/>
        <source>Open Models…</source>
        <translation>打开模型…</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="69"/>
        <source>“%1” does not fit in this conversation. Nothing was sent.</source>
        <translation>“%1”超出了此对话的上下文容量。消息未发送。</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="74"/>
        <source>It needs %1 tokens; %2 are free in the context.</source>
        <translation>它需要 %1 个 token；上下文中还剩 %2 个。</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="78"/>
        <source>You asked for a summary: Hearth can read the whole document section by section, summarise each part and combine them, citing the sections (this takes a while; Stop works at any time). To ask about particular parts instead, add it to a knowledge base.</source>
        <translation>你要的是摘要：Hearth 可以逐节读完整份文档，为每一节写摘要再合并起来，并注明引用的章节（需要一些时间，随时可以停止）。如果只想询问其中某些部分，请把它加入知识库。</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="83"/>
        <source>To answer your question, add it to a knowledge base: this conversation then answers from the passages that match each question. To summarise the whole document instead, Hearth can read it section by section.</source>
        <translation>要回答你的问题，请把它加入知识库：此对话之后会根据与每个问题匹配的段落来回答。如果想要整份文档的摘要，Hearth 也可以逐节阅读它。</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="87"/>
        <source>Summarise the whole document</source>
        <translation>为整份文档写摘要</translation>
    </message>
    <message>
        <location filename="../main/attach_dialogs.py" line="89"/>
        <source>Add to a knowledge base</source>
        <translation>添加到知识库</translation>
    </message>
</context>
<context>
    <name>BackendDialog</name>
    <message>
        <location filename="../models/backend_dialog.py" line="172"/>
        <source>The key would travel unencrypted (plain http) to another computer: anyone on the network between could read it. Use https for a server on another machine.</source>
        <translation>密钥会以未加密的方式（普通 http）发送到另一台电脑：途经网络上的任何人都能读到它。对于另一台机器上的服务器，请使用 https。</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="182"/>
        <source>This computer has no keychain: a key is kept only until Hearth quits, and you will have to enter it again next time.</source>
        <translation>这台电脑没有钥匙串：密钥只保留到 Hearth 退出为止，下次需要重新输入。</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="197"/>
        <source>Asking %1 for its models…</source>
        <translation>正在向 %1 查询模型…</translation>
    </message>
    <message numerus="yes">
        <location filename="../models/backend_dialog.py" line="214"/>
        <source>%n model(s) on the server.</source>
        <translation>
            <numerusform>服务器上有 %n 个模型。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="215"/>
        <source>The server lists no models; type the model&apos;s name.</source>
        <translation>服务器没有列出任何模型；请输入模型名称。</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="262"/>
        <source>Edit backend</source>
        <translation>编辑后端</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="262"/>
        <source>Add a backend</source>
        <translation>添加后端</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="263"/>
        <source>Kind of server</source>
        <translation>服务器类型</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="263"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="264"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="264"/>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="264"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="265"/>
        <source>Context window</source>
        <translation>上下文窗口</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="265"/>
        <source>The model can</source>
        <translation>模型能够</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="267"/>
        <source>a short name, e.g. gpu-box</source>
        <translation>简短的名称，例如 gpu-box</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="268"/>
        <source>e.g. http://192.168.1.20:8080 (/v1 is added when missing)</source>
        <translation>例如 http://192.168.1.20:8080（缺少 /v1 时会自动补上）</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="269"/>
        <source>a key is set: leave empty to keep it</source>
        <translation>已设置密钥：留空即保留</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="270"/>
        <source>none (leave empty when the server needs no key)</source>
        <translation>无（服务器不需要密钥时请留空）</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="271"/>
        <source>Kept in the system&apos;s keychain, never in Hearth&apos;s files.</source>
        <translation>保存在系统钥匙串中，绝不写入 Hearth 的文件。</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="272"/>
        <source>Remove the stored key</source>
        <translation>删除已保存的密钥</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="273"/>
        <source>the server&apos;s first model</source>
        <translation>服务器的第一个模型</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="274"/>
        <source>List models</source>
        <translation>列出模型</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="275"/>
        <source>Ask the server</source>
        <translation>询问服务器</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="276"/>
        <source> tokens</source>
        <translation> 个 token</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="277"/>
        <source>read images</source>
        <translation>识别图片</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="278"/>
        <source>call tools</source>
        <translation>调用工具</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="279"/>
        <source>follow a JSON schema</source>
        <translation>遵循 JSON schema</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="280"/>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="281"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../models/backend_dialog.py" line="282"/>
        <source>Tells Hearth how to ask the server for its context size.</source>
        <translation>告诉 Hearth 如何向服务器询问上下文大小。</translation>
    </message>
</context>
<context>
    <name>BackendsPanel</name>
    <message>
        <location filename="../models/backend_texts.py" line="21"/>
        <source>Edit the backend and enter the server&apos;s API key again (or remove it if the server needs none).</source>
        <translation>请编辑该后端并重新输入服务器的 API 密钥（如果服务器不需要密钥，请删除它）。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="25"/>
        <source>Check the address: OpenAI-compatible servers answer under /v1 (for example http://host:8080/v1), and the model&apos;s name (Edit → List models shows them).</source>
        <translation>请检查地址：兼容 OpenAI 的服务器在 /v1 下应答（例如 http://host:8080/v1），并检查模型名称（编辑 → 列出模型 可以查看）。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="29"/>
        <source>The server is busy: try again in a moment, or add another backend serving the same model.</source>
        <translation>服务器正忙：请稍后再试，或添加另一个提供同一模型的后端。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="33"/>
        <source>Choose another name, or edit the existing backend.</source>
        <translation>请换一个名称，或编辑现有的后端。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="35"/>
        <source>It was removed meanwhile: the list is up to date again.</source>
        <translation>它已在此期间被删除：列表已重新更新。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="37"/>
        <source>Check the address and that the server is running.</source>
        <translation>请检查地址，并确认服务器正在运行。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="54"/>
        <source>%1 answered in %2 s.</source>
        <translation>%1 在 %2 秒内作出应答。</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="56"/>
        <source>none listed</source>
        <translation>未列出</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="58"/>
        <source>Models: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="59"/>
        <source>Test reply from %1: “%2”</source>
        <translation>%1 的测试回复：“%2”</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="62"/>
        <source>Context: %1 tokens (from %2)</source>
        <translation>上下文：%1 个 token（来自 %2）</translation>
    </message>
    <message>
        <location filename="../models/backend_texts.py" line="65"/>
        <source>Context: the server does not say; set the backend&apos;s context window (Edit).</source>
        <translation>上下文：服务器没有说明；请设置该后端的上下文窗口（编辑）。</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="120"/>
        <source>%1 tokens</source>
        <translation>%1 个 token</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="121"/>
        <source>from the server</source>
        <translation>由服务器提供</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="122"/>
        <source>(the first)</source>
        <translation>（第一个）</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="123"/>
        <source>key set</source>
        <translation>已设置密钥</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="123"/>
        <source>no key</source>
        <translation>无密钥</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="173"/>
        <source>Saved %1. This computer has no keychain: its key is kept only until Hearth quits; enter it again next time.</source>
        <translation>已保存 %1。这台电脑没有钥匙串：它的密钥只保留到 Hearth 退出为止，下次需要重新输入。</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="176"/>
        <source>Saved %1.</source>
        <translation>已保存 %1。</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="186"/>
        <source>Testing %1…</source>
        <translation>正在测试 %1…</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="206"/>
        <source>Remove the backend %1 and its API key? Conversations that use its model keep their messages.</source>
        <translation>删除后端 %1 及其 API 密钥吗？使用它的模型的对话会保留其中的消息。</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="208"/>
        <source>Remove backend</source>
        <translation>删除后端</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="217"/>
        <source>Removed %1.</source>
        <translation>已删除 %1。</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="228"/>
        <source>Servers on this or another computer that run models for Hearth: llama-server, vLLM, SGLang, Ollama, LM Studio or any OpenAI-compatible API. Their models appear in the chat&apos;s model picker; when several serve the same model, the first that answers is used, in this order. Keys are kept in the system&apos;s keychain.</source>
        <translation>在这台或其他电脑上为 Hearth 运行模型的服务器：llama-server、vLLM、SGLang、Ollama、LM Studio 或任何兼容 OpenAI 的 API。它们的模型会出现在对话的模型选择器中；多个后端提供同一模型时，按此顺序使用第一个应答的。密钥保存在系统钥匙串中。</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="233"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="233"/>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="233"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="233"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="234"/>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="234"/>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="235"/>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="236"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="237"/>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location filename="../models/backends_panel.py" line="238"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <location filename="../main/chat_view.py" line="240"/>
        <source>Type a message below to start. Replies are written on this computer; nothing you type leaves it.</source>
        <translation>在下方输入消息即可开始。回复在这台电脑上生成，你输入的内容不会离开这台电脑。</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../main/composer.py" line="160"/>
        <source>Message — Enter to send, Shift+Enter for a new line</source>
        <translation>输入消息（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location filename="../main/composer.py" line="161"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../main/composer.py" line="162"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <location filename="../main/composer.py" line="163"/>
        <source>Stop writing (Esc); what was written is kept</source>
        <translation>停止生成（Esc），已生成的内容会保留</translation>
    </message>
    <message>
        <location filename="../main/composer.py" line="164"/>
        <source>Attach images or documents (or drop them here, or paste an image)</source>
        <translation>附加图片或文档（也可以拖放到这里，或粘贴图片）</translation>
    </message>
</context>
<context>
    <name>ContextMeter</name>
    <message>
        <location filename="../main/context_meter.py" line="129"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="130"/>
        <source>Earlier messages</source>
        <translation>历史消息</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="131"/>
        <source>Attachments</source>
        <translation>附件</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="132"/>
        <source>Knowledge (up to)</source>
        <translation>知识库（最多）</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="133"/>
        <source>Your message</source>
        <translation>你的消息</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="134"/>
        <source>Kept for the reply</source>
        <translation>为回复预留</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="135"/>
        <source>Free</source>
        <translation>剩余</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="137"/>
        <source>Context usage</source>
        <translation>上下文用量</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="221"/>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="222"/>
        <source>Load a model to see how much of its context this conversation uses.</source>
        <translation>加载模型后，即可查看此对话占用了多少上下文。</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="224"/>
        <source>{used} / {total} tokens</source>
        <translation>{used} / {total} token</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/context_meter.py" line="226"/>
        <source>%n older message(s) will be left out</source>
        <translation>
            <numerusform>将省略 %n 条较早的消息</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="244"/>
        <source>Too long for this model even at its largest context ({max} tokens) — add the document to a knowledge base, or use a model with a larger context</source>
        <translation>即使用这个模型的最大上下文（{max} 个 token）也放不下——请把文档加入知识库，或换用上下文更大的模型</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="246"/>
        <source>Too long for this model even at its largest context ({max} tokens) — shorten the message</source>
        <translation>即使用这个模型的最大上下文（{max} 个 token）也放不下——请缩短消息</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="249"/>
        <source>Too long for the context — shorten the message or raise the context size</source>
        <translation>超出上下文长度——请缩短消息或增大上下文</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="252"/>
        <source>Too long for the context — add the document to a knowledge base, or shorten the message</source>
        <translation>超出上下文——请把文档加入知识库，或缩短消息</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="254"/>
        <source>Too long for the context — shorten the message</source>
        <translation>超出上下文——请缩短消息</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="256"/>
        <source>Too long for the context — raise the context size (this model takes up to {max} tokens), or add the document to a knowledge base</source>
        <translation>超出上下文——请调大上下文（这个模型最多支持 {max} 个 token），或把文档加入知识库</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="258"/>
        <source>Too long for the context — raise the context size (this model takes up to {max} tokens) or shorten the message</source>
        <translation>超出上下文——请调大上下文（这个模型最多支持 {max} 个 token）或缩短消息</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="230"/>
        <source>{name}: {tokens} tokens</source>
        <translation>{name}：{tokens} token</translation>
    </message>
    <message>
        <location filename="../main/context_meter.py" line="232"/>
        <source>Context window: {total} tokens</source>
        <translation>上下文窗口：{total} token</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <location filename="../main/conversation_list.py" line="118"/>
        <location filename="../main/conversation_list.py" line="133"/>
        <location filename="../main/conversation_list.py" line="192"/>
        <location filename="../main/conversation_list.py" line="212"/>
        <location filename="../main/conversation_list.py" line="222"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/conversation_list.py" line="148"/>
        <source>%n message(s) match</source>
        <translation>
            <numerusform>找到 %n 条匹配的消息</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="149"/>
        <source>Nothing matches “%1”</source>
        <translation>没有与“%1”匹配的内容</translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="192"/>
        <source>Deleted “%1”.</source>
        <translation>已删除“%1”。</translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="211"/>
        <source>Search all chats (Ctrl+F)</source>
        <translation>搜索所有对话（Ctrl+F）</translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="213"/>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>开始新对话（Ctrl+N）</translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="214"/>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="215"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../main/conversation_list.py" line="216"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
</context>
<context>
    <name>DatabaseRecovery</name>
    <message>
        <location filename="../app.py" line="107"/>
        <location filename="../app.py" line="139"/>
        <source>Hearth</source>
        <translation>Hearth</translation>
    </message>
    <message>
        <location filename="../app.py" line="109"/>
        <source>Hearth&apos;s database is damaged, so your conversations cannot be read as they are.</source>
        <translation>Hearth 的数据库已损坏，无法按原样读取你的对话。</translation>
    </message>
    <message>
        <location filename="../app.py" line="112"/>
        <source>File: {path}
SQLite reports: {problem}

The damaged file is never deleted: it is kept aside beside the new one, for repair tools.</source>
        <translation>文件：{path}
SQLite 报告：{problem}

损坏的文件绝不会被删除：它会被保留在新文件旁边，供修复工具使用。</translation>
    </message>
    <message>
        <location filename="../app.py" line="116"/>
        <source>Keep a copy aside and start fresh</source>
        <translation>保留一份副本并重新开始</translation>
    </message>
    <message>
        <location filename="../app.py" line="121"/>
        <source>Restore the backup from {date}</source>
        <translation>恢复 {date} 的备份</translation>
    </message>
    <message>
        <location filename="../app.py" line="126"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>DemoBanner</name>
    <message>
        <location filename="../main/demo_banner.py" line="127"/>
        <source>SmolLM2 135M, the demo model in use, cannot write Chinese: its Chinese replies are gibberish.</source>
        <translation>当前使用的演示模型 SmolLM2 135M 不会写中文：它的中文回复是乱码。</translation>
    </message>
    <message>
        <location filename="../main/demo_banner.py" line="130"/>
        <source>For Chinese, download %1: one click, then choose it above.</source>
        <translation>要用中文聊天，请下载 %1：点一下即可，下载后在上方选择它。</translation>
    </message>
    <message>
        <location filename="../main/demo_banner.py" line="133"/>
        <source>You are chatting with SmolLM2 135M, a tiny demo model: quick anywhere, but too small for real work.</source>
        <translation>你正在使用 SmolLM2 135M，这是一个很小的演示模型：在哪里都很快，但不适合正式使用。</translation>
    </message>
    <message>
        <location filename="../main/demo_banner.py" line="136"/>
        <source>Recommended for this computer: %1.</source>
        <translation>推荐这台电脑使用：%1。</translation>
    </message>
    <message>
        <location filename="../main/demo_banner.py" line="140"/>
        <source>Download %1</source>
        <translation>下载 %1</translation>
    </message>
    <message>
        <location filename="../main/demo_banner.py" line="142"/>
        <source>Find models…</source>
        <translation>查找模型…</translation>
    </message>
</context>
<context>
    <name>EmbedderChoice</name>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="118"/>
        <source>multilingual</source>
        <translation>多语言</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="118"/>
        <source>English only</source>
        <translation>仅英文</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="119"/>
        <source>languages unknown</source>
        <translation>语言未知</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="123"/>
        <source>%1 · on %2 (remote)</source>
        <translation>%1 · 位于 %2（远程）</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="126"/>
        <source>The text of the documents is sent to the server of backend %1 (%2) to be embedded.</source>
        <translation>文档的文字会发送到后端 %1（%2）的服务器上生成向量。</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="154"/>
        <source>%1 dimensions · %2 on disk · about %3 of memory
%4</source>
        <translation>%1 维 · 磁盘占用 %2 · 约需 %3 内存
%4</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="176"/>
        <source>Download a multilingual model…</source>
        <translation>下载多语言模型…</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="186"/>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="186"/>
        <source>%1 (%2 download)</source>
        <translation>%1（下载 %2）</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="188"/>
        <source>⚠ This collection is mostly Chinese, but %1 understands only English: semantic search will not understand Chinese questions or passages (keyword search still works). Choose a multilingual model such as %2.</source>
        <translation>⚠ 这个文档集大部分是中文，但 %1 只懂英文：语义搜索无法理解中文问题和段落（关键词搜索仍然可用）。请选择多语言模型，例如 %2。</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="193"/>
        <source>⚠ The embedding model %1 is missing: semantic search is off for this collection (keyword search still works). Choose another model above, or download or import it again.</source>
        <translation>⚠ 找不到嵌入模型 %1：这个文档集的语义搜索已关闭（关键词搜索仍然可用）。请在上方选择其他模型，或重新下载或导入它。</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="219"/>
        <source>Change the embedding model</source>
        <translation>更换嵌入模型</translation>
    </message>
    <message numerus="yes">
        <location filename="../knowledge/embedder_choice.py" line="220"/>
        <source>Embed “%1” with %2? Its %n passages will be embedded again, which takes a while; keyword search keeps working meanwhile.</source>
        <translation>
            <numerusform>用 %2 重新嵌入“%1”？其中 %n 个片段都要重新嵌入，需要一段时间；期间关键词搜索照常可用。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="261"/>
        <source>Download a multilingual model</source>
        <translation>下载多语言模型</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="262"/>
        <source>Download %1 (%2) in File → Models…: search for %3. It then appears in this list.</source>
        <translation>在“文件 → 模型…”中下载 %1（%2）：搜索 %3。下载后它会出现在这个列表中。</translation>
    </message>
    <message>
        <location filename="../knowledge/embedder_choice.py" line="272"/>
        <source>Embedding model:</source>
        <translation>嵌入模型：</translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <location filename="../errors_ui.py" line="31"/>
        <source>The model stopped unexpectedly.</source>
        <translation>模型意外停止运行。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="32"/>
        <source>The model file could not be found.</source>
        <translation>找不到模型文件。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="33"/>
        <source>This model file is broken.</source>
        <translation>这个模型文件已损坏。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="34"/>
        <source>This file is not a usable model.</source>
        <translation>此文件不是可用的模型。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="35"/>
        <source>The model could not be loaded.</source>
        <translation>无法加载模型。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="36"/>
        <source>No model is chosen for this conversation.</source>
        <translation>此对话尚未选择模型。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="37"/>
        <source>The model&apos;s chat template could not be used.</source>
        <translation>无法使用该模型的对话模板。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="38"/>
        <source>The message does not fit in the model&apos;s context.</source>
        <translation>消息超出了模型的上下文长度。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="39"/>
        <source>This model cannot see images.</source>
        <translation>此模型无法识别图片。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="40"/>
        <source>The attached document does not fit in the context.</source>
        <translation>附加的文档超出了上下文长度。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="41"/>
        <source>This image cannot be attached.</source>
        <translation>无法附加此图片。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="42"/>
        <source>This file cannot be attached.</source>
        <translation>无法附加此文件。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="43"/>
        <source>No embedding model is installed.</source>
        <translation>未安装嵌入模型。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="44"/>
        <source>This document could not be read.</source>
        <translation>无法读取此文档。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="45"/>
        <source>The knowledge collection could not be changed.</source>
        <translation>无法修改该知识库集合。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="46"/>
        <source>The disk is full.</source>
        <translation>磁盘已满。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="47"/>
        <source>Hearth&apos;s database cannot be written to.</source>
        <translation>无法写入 Hearth 的数据库。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="48"/>
        <source>Hearth&apos;s database is damaged.</source>
        <translation>Hearth 的数据库已损坏。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="49"/>
        <source>Hearth&apos;s database could not be opened.</source>
        <translation>无法打开 Hearth 的数据库。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="50"/>
        <location filename="../errors_ui.py" line="51"/>
        <source>The conversation could not be found.</source>
        <translation>找不到该对话。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="52"/>
        <source>Hearth&apos;s database could not be used.</source>
        <translation>无法使用 Hearth 的数据库。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="53"/>
        <source>The download did not finish.</source>
        <translation>下载没有完成。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="54"/>
        <source>The model hub could not be used.</source>
        <translation>无法使用模型中心。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="55"/>
        <source>Something went wrong.</source>
        <translation>出错了。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="56"/>
        <source>A file could not be read or written.</source>
        <translation>无法读取或写入文件。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="58"/>
        <source>Something unexpected went wrong. Your conversations are saved.</source>
        <translation>发生意外错误。你的对话已保存。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="84"/>
        <source>signal {signal}</source>
        <translation>信号 {signal}</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="85"/>
        <source>exit code {code}</source>
        <translation>退出码 {code}</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="196"/>
        <source>Check that the disk is not full and the folder is writable.</source>
        <translation>请检查磁盘是否已满，以及文件夹是否可写。</translation>
    </message>
    <message>
        <location filename="../errors_ui.py" line="207"/>
        <location filename="../main/attach_dialogs.py" line="32"/>
        <source>Hearth</source>
        <translation>Hearth</translation>
    </message>
</context>
<context>
    <name>ErrorHint</name>
    <message>
        <location filename="../error_texts.py" line="260"/>
        <source>Free some disk space on the disk holding {folder}, then try again. Everything saved before is kept.</source>
        <translation>请在 {folder} 所在的磁盘上腾出一些空间，然后重试。之前保存的内容都还在。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="263"/>
        <source>Check the permissions of {path} and of its folder {folder}: Hearth needs to write to both (and the -wal and -shm files beside it).</source>
        <translation>请检查 {path} 及其所在文件夹 {folder} 的权限：Hearth 需要写入这两者（以及旁边的 -wal 和 -shm 文件）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="266"/>
        <source>Check the permissions of {folder}: Hearth needs to write there (the -wal and -shm files beside the database).</source>
        <translation>请检查 {folder} 的权限：Hearth 需要在那里写入（数据库旁边的 -wal 和 -shm 文件）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="13"/>
        <source>Serve on 127.0.0.1 (the default), or give the server a key: `hearth serve --host ... ` makes one on first use and prints where it is kept.</source>
        <translation>请在 127.0.0.1 上提供服务（默认），或给服务器设置密钥：`hearth serve --host ... ` 首次使用时会生成密钥，并显示它保存的位置。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="16"/>
        <source>Choose another port with --port, or stop the program that uses this one.</source>
        <translation>请用 --port 选择其他端口，或停止占用此端口的程序。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="18"/>
        <source>Hearth&apos;s model catalog is damaged. Reinstall Hearth.</source>
        <translation>Hearth 的模型目录已损坏。请重新安装 Hearth。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="20"/>
        <source>Check the path, or pick another model from the model list.</source>
        <translation>请检查路径，或从模型列表中选择另一个模型。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="22"/>
        <source>The file is incomplete or corrupt: download it again, or choose another model file.</source>
        <translation>文件不完整或已损坏：请重新下载，或选择另一个模型文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="25"/>
        <source>Download the model again (or another conversion of it), or pick another model. Reloading this file will crash llama.cpp again.</source>
        <translation>请重新下载该模型（或它的另一个转换版本），或选择另一个模型。重新加载这个文件会让 llama.cpp 再次崩溃。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="28"/>
        <source>llama.cpp could not load this model. It may need more memory than is free, or a newer Hearth. Try a smaller model or a smaller context size.</source>
        <translation>llama.cpp 无法加载此模型。它可能需要比空闲内存更多的内存，或需要更新版本的 Hearth。请尝试更小的模型或更小的上下文长度。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="31"/>
        <source>Your conversation is saved. Reload the model to continue; if it happens again, try another model.</source>
        <translation>你的对话已保存。重新加载模型即可继续；如果再次发生，请换一个模型。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="34"/>
        <source>Choose a model first.</source>
        <translation>请先选择一个模型。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="36"/>
        <source>Choose a built-in chat template for this model in its settings.</source>
        <translation>请在此模型的设置中为它选择一个内置聊天模板。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="38"/>
        <source>This model file carries a chat template that tries to run code. Hearth refused it. Use it with a built-in template, or choose another model file.</source>
        <translation>此模型文件带有一个试图运行代码的聊天模板，Hearth 已拒绝使用它。请配合内置模板使用此模型，或选择另一个模型文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="42"/>
        <source>The model&apos;s chat template took too long to render. Use a built-in template for this model.</source>
        <translation>模型的聊天模板渲染耗时过长。请为此模型使用内置模板。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="45"/>
        <source>The model&apos;s chat template tried to build far more text than a prompt needs and was stopped. Use a built-in chat template for this model, or use another model file.</source>
        <translation>模型的聊天模板试图生成远超提示词所需的文本，已被中止。请为此模型使用内置聊天模板，或换用另一个模型文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="49"/>
        <source>Shorten the message, raise the context size, or add the text to a knowledge base instead.</source>
        <translation>请缩短消息、增大上下文长度，或改为把这段文本加入知识库。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="52"/>
        <source>Start a new conversation, raise the context size, or allow dropping the oldest turns.</source>
        <translation>请开始新对话、增大上下文长度，或允许丢弃最早的几轮对话。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="55"/>
        <source>Give a JSON list of messages such as [{&quot;role&quot;: &quot;user&quot;, &quot;content&quot;: &quot;Hello&quot;}]: roles &quot;system&quot; (first only), &quot;user&quot; and &quot;assistant&quot;, text content, the last message from the user.</source>
        <translation>请给出一个 JSON 消息列表，例如 [{&quot;role&quot;: &quot;user&quot;, &quot;content&quot;: &quot;Hello&quot;}]：角色为 &quot;system&quot;（仅限第一条）、&quot;user&quot; 和 &quot;assistant&quot;，内容为文本，最后一条消息来自用户。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="59"/>
        <source>Hearth&apos;s database could not be used. Check that the disk is not full and the data folder is writable.</source>
        <translation>无法使用 Hearth 的数据库。请检查磁盘是否已满，以及数据文件夹是否可写。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="62"/>
        <source>It may have been deleted. Pick another conversation.</source>
        <translation>它可能已被删除。请选择另一个对话。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="64"/>
        <source>It may have been deleted.</source>
        <translation>它可能已被删除。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="66"/>
        <source>Hearth&apos;s database is damaged. Open the Hearth window: it offers to restore the newest backup (kept in the &apos;backups&apos; folder beside the database) or to keep the damaged file aside and start fresh. Nothing is deleted.</source>
        <translation>Hearth 的数据库已损坏。请打开 Hearth 窗口：它会提供恢复最新备份（保存在数据库旁边的“backups”文件夹中），或把损坏的文件放到一旁并重新开始。不会删除任何内容。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="71"/>
        <source>Check the permissions of the database file and its folder: Hearth needs to write to both.</source>
        <translation>请检查数据库文件及其所在文件夹的权限：Hearth 需要写入这两者。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="74"/>
        <source>Free some disk space, then try again. Everything saved before is kept.</source>
        <translation>请腾出一些磁盘空间，然后重试。之前保存的内容都还在。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="76"/>
        <source>Check that the disk is connected and healthy, and the permissions of the database file and its folder.</source>
        <translation>请检查磁盘是否已连接且状态良好，以及数据库文件及其所在文件夹的权限。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="79"/>
        <source>Check the internet connection and try again; installed models keep working offline.</source>
        <translation>请检查网络连接后重试；已安装的模型在离线时仍可使用。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="82"/>
        <source>Hearth is offline. Installed models keep working; search and downloads need the internet.</source>
        <translation>Hearth 处于离线状态。已安装的模型仍可使用；搜索和下载需要联网。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="84"/>
        <source>Turn offline mode off in the window (File → Settings…), then try again. Installed models keep working.</source>
        <translation>请在窗口中关闭离线模式（文件 → 设置…），然后重试。已安装的模型照常可用。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="87"/>
        <source>Check the repository name (owner/name). Private or gated repositories need a login on huggingface.co.</source>
        <translation>请检查仓库名称（所有者/名称）。私有或受限仓库需要在 huggingface.co 上登录。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="90"/>
        <source>The file is not in this repository (any more). List the repository&apos;s files and pick another.</source>
        <translation>此仓库中（已）没有这个文件。请列出仓库中的文件并另选一个。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="93"/>
        <source>The partial file is kept: start the download again and it resumes where it stopped.</source>
        <translation>已下载的部分文件会保留：重新开始下载即可从中断处继续。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="96"/>
        <source>The downloaded file was corrupt and has been deleted. Download it again.</source>
        <translation>下载的文件已损坏，已被删除。请重新下载。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="98"/>
        <source>Free some disk space (or delete models you no longer use), then try again.</source>
        <translation>请腾出一些磁盘空间（或删除不再使用的模型），然后重试。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="101"/>
        <source>The repository names a file outside the models folder; Hearth refuses to write it. Pick another file.</source>
        <translation>该仓库给出的文件位于模型文件夹之外；Hearth 拒绝写入它。请选择另一个文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="104"/>
        <source>The partial file is kept: start the download again to resume it, or discard it to free the space.</source>
        <translation>已下载的部分文件会保留：重新开始下载即可继续，或丢弃它以释放空间。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="107"/>
        <source>The model hub (or a proxy or mirror in between, see HF_ENDPOINT) sent an answer Hearth will not use. Try again later; installed models keep working.</source>
        <translation>模型中心（或中间的代理或镜像，见 HF_ENDPOINT）返回了 Hearth 不会使用的应答。请稍后重试；已安装的模型仍可使用。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="111"/>
        <source>The model hub answered too slowly. Check the connection (or the mirror in HF_ENDPOINT) and try again; installed models keep working.</source>
        <translation>模型中心应答太慢。请检查网络连接（或 HF_ENDPOINT 中的镜像）后重试；已安装的模型仍可使用。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="114"/>
        <source>Check the name with `hearth kb list`, or create it with `hearth kb create NAME`.</source>
        <translation>请用 `hearth kb list` 核对名称，或用 `hearth kb create NAME` 创建它。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="117"/>
        <source>Pick another name, or add files to the existing collection.</source>
        <translation>请换一个名称，或把文件添加到已有的集合中。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="119"/>
        <source>The other documents are indexed. Fix or convert this file, then re-index.</source>
        <translation>其他文档已建立索引。请修复或转换此文件，然后重新索引。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="121"/>
        <source>Supported: .txt, .md, .html, .pdf, .docx, .csv and source code. Convert the file to one of these.</source>
        <translation>支持的格式：.txt、.md、.html、.pdf、.docx、.csv 和源代码。请把文件转换为其中一种格式。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="124"/>
        <source>Hearth reads only what lies inside the folders you chose. Copy the file into the folder to index it.</source>
        <translation>Hearth 只读取你所选文件夹内的内容。请把文件复制到该文件夹中以便索引。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="127"/>
        <source>Only regular files are indexed.</source>
        <translation>只有普通文件会被索引。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="129"/>
        <source>The file may be damaged or password-protected. Open it in its own program, save a new copy, and re-index.</source>
        <translation>文件可能已损坏或受密码保护。请在它自己的程序中打开，另存一份新副本，然后重新索引。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="132"/>
        <source>The file is binary data with a text file&apos;s name. Open it in its own program, or leave it out.</source>
        <translation>这个文件名为文本文件，内容却是二进制数据。请在它自己的程序中打开，或不要添加它。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="135"/>
        <source>Reading this file took too long and was stopped. Split it, or save it in a simpler format (for example plain text).</source>
        <translation>读取此文件耗时过长，已被中止。请拆分它，或以更简单的格式保存（例如纯文本）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="138"/>
        <source>Reading this file needed more memory than allowed and was stopped. Split it into smaller files.</source>
        <translation>读取此文件所需的内存超出允许范围，已被中止。请把它拆分成更小的文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="141"/>
        <source>Install an embedding model from File → Models… (for example nomic-embed-text or bge-m3), or run scripts/install.sh.</source>
        <translation>请从“文件 → 模型…”安装一个嵌入模型（例如 nomic-embed-text 或 bge-m3），或运行 scripts/install.sh。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="144"/>
        <source>Attach images (PNG, JPEG, WebP, GIF, BMP) or documents (.txt, .md, .html, .pdf, .docx, .csv, source code).</source>
        <translation>可附加图片（PNG、JPEG、WebP、GIF、BMP）或文档（.txt、.md、.html、.pdf、.docx、.csv、源代码）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="147"/>
        <source>Save the image as PNG or JPEG, at most 40 megapixels, and attach it again.</source>
        <translation>请把图片另存为不超过 4000 万像素的 PNG 或 JPEG，然后重新附加。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="150"/>
        <source>Add the document to a knowledge base instead: Hearth then sends only the passages that answer each question. Or load the model with a larger context.</source>
        <translation>请改为把文档加入知识库：这样 Hearth 只会发送回答每个问题所需的段落。或者用更大的上下文加载模型。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="154"/>
        <source>Attach a regular file (an image or a document). Folders, devices and pipes cannot be attached.</source>
        <translation>请附加普通文件（图片或文档）。文件夹、设备和管道无法附加。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="157"/>
        <source>Add it to a knowledge base instead: Hearth then sends only the passages that answer each question. Or split it into smaller files.</source>
        <translation>请改为把它加入知识库：这样 Hearth 只会发送回答每个问题所需的段落。或者把它拆分成更小的文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="160"/>
        <source>Choose a .gguf model file. Your file was not changed.</source>
        <translation>请选择一个 .gguf 模型文件。你的文件没有被改动。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="162"/>
        <source>Download the GGUF version of this model: llama.cpp reads no other kind.</source>
        <translation>请下载此模型的 GGUF 版本：llama.cpp 不读取其他格式。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="164"/>
        <source>Remove the link, or point it at a model file.</source>
        <translation>请移除该链接，或让它指向一个模型文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="166"/>
        <source>Check that the file exists and that you are allowed to read it.</source>
        <translation>请检查文件是否存在，以及你是否有权读取它。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="168"/>
        <source>Remove it from the models folder, or pick a real .gguf file.</source>
        <translation>请把它移出模型文件夹，或选择一个真正的 .gguf 文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="170"/>
        <source>Download every part of the model into the same folder.</source>
        <translation>请把模型的所有分卷下载到同一个文件夹。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="171"/>
        <source>Adapters are applied to a model; they cannot be chosen on their own.</source>
        <translation>适配器需要配合模型使用，不能单独选择。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="172"/>
        <source>Keep the original file names of the parts.</source>
        <translation>请保留各分卷原来的文件名。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="173"/>
        <source>This file is not a model; pick another one.</source>
        <translation>这个文件不是模型，请选择其他文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="175"/>
        <source>The file is damaged or was converted wrongly: download another conversion of this model.</source>
        <translation>文件已损坏或转换有误：请下载这个模型的另一个转换版本。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="177"/>
        <source>Update Hearth, or pick a model of a supported architecture.</source>
        <translation>请更新 Hearth，或选择架构受支持的模型。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="179"/>
        <source>Download the ordinary (little-endian) GGUF of this model.</source>
        <translation>请下载此模型的普通（小端序）GGUF 文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="181"/>
        <source>Download a newer conversion of this model.</source>
        <translation>请下载此模型较新的转换版本。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="183"/>
        <source>Update Hearth, or download an older conversion of this model.</source>
        <translation>请更新 Hearth，或下载此模型较旧的转换版本。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="185"/>
        <source>llama.cpp refused the file for the reason above: it is damaged, converted wrongly or made for a newer llama.cpp. Download another conversion of this model, or update Hearth.</source>
        <translation>llama.cpp 因上述原因拒绝了该文件：它已损坏、转换有误，或是为更新版本的 llama.cpp 制作的。请下载此模型的另一个转换版本，或更新 Hearth。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="189"/>
        <source>Open the repository on huggingface.co, accept its conditions and log in, or pick another repository.</source>
        <translation>请在 huggingface.co 上打开该仓库，接受其条款并登录，或选择另一个仓库。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="192"/>
        <source>Choose the mmproj file published with the model, or none.</source>
        <translation>请选择随模型发布的 mmproj 文件，或不选。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="194"/>
        <source>Use the mmproj file published with this model.</source>
        <translation>请使用随此模型发布的 mmproj 文件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="196"/>
        <source>Give a .gguf path, or a name from `hearth models list`.</source>
        <translation>请给出一个 .gguf 文件路径，或 `hearth models list` 列出的模型名称。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="198"/>
        <source>Pick an older backup, or keep the database aside and start fresh.</source>
        <translation>请选择一个更早的备份，或者把数据库放到一旁，重新开始。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="200"/>
        <source>Hearth installs only verified files. Try again later, or download it from the Hub itself rather than a mirror.</source>
        <translation>Hearth 只安装经过校验的文件。请稍后再试，或直接从模型中心（而不是镜像）下载。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="203"/>
        <source>Check that the models folder is writable.</source>
        <translation>请检查模型文件夹是否可写。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="205"/>
        <source>Check the file and attach it again.</source>
        <translation>请检查该文件，然后重新添加附件。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="206"/>
        <source>Attach a file that contains text, or paste the text into the message.</source>
        <translation>请添加包含文字的文件，或把文字粘贴到消息中。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="207"/>
        <source>Check that the disk is not full.</source>
        <translation>请检查磁盘是否已满。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="209"/>
        <source>Add a model file (File → Add a model file…), then send again.</source>
        <translation>请添加一个模型文件（文件 → 添加模型文件…），然后重新发送。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="211"/>
        <source>Check the backend with `hearth backends test NAME` and that its server is running.</source>
        <translation>请用 `hearth backends test NAME` 检查这个后端，并确认它的服务器正在运行。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="213"/>
        <source>Start the server, or check the address and port (and any firewall between).</source>
        <translation>请启动服务器，或检查地址和端口（以及中间的防火墙）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="214"/>
        <source>Check the base URL: OpenAI-compatible servers answer under /v1 (for example http://host:8080/v1), and the model name (`hearth backends test NAME` lists them).</source>
        <translation>请检查基础 URL：兼容 OpenAI 的服务器在 /v1 下提供接口（例如 http://host:8080/v1），并检查模型名称（`hearth backends test NAME` 会列出它们）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="217"/>
        <source>Set the server&apos;s API key again: `hearth backends add NAME URL --api-key-env VAR` (it is kept in the keychain).</source>
        <translation>请重新设置服务器的 API 密钥：`hearth backends add NAME URL --api-key-env VAR`（密钥保存在系统钥匙串中）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="219"/>
        <source>Wait until the server has loaded its model, then try again.</source>
        <translation>请等服务器加载完模型后再试。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="220"/>
        <source>The server is busy: try again in a moment, or add another backend serving the same model.</source>
        <translation>服务器正忙：请稍后再试，或添加另一个提供同一模型的后端。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="222"/>
        <source>Check the address: use http:// for a server without TLS, or install the server&apos;s certificate authority. Hearth does not send anything over an unverified connection.</source>
        <translation>请检查地址：没有 TLS 的服务器请用 http://，或安装服务器的证书颁发机构。Hearth 不会通过未经验证的连接发送任何内容。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="225"/>
        <source>The server failed while answering. Look at its log, then try again.</source>
        <translation>服务器在回答时出错。请查看它的日志，然后重试。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="226"/>
        <source>Check that the base URL points to an OpenAI-compatible API and that the right preset is chosen.</source>
        <translation>请确认基础 URL 指向兼容 OpenAI 的接口，并且选择了正确的预设。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="228"/>
        <source>Shorten the message or start a new conversation, or restart the server with a larger context (llama-server -c, vLLM --max-model-len, Ollama num_ctx).</source>
        <translation>请缩短消息或开始新对话，或用更大的上下文重新启动服务器（llama-server -c、vLLM --max-model-len、Ollama num_ctx）。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="230"/>
        <source>Check the name with `hearth backends list`, or add it with `hearth backends add NAME URL`.</source>
        <translation>请用 `hearth backends list` 检查名称，或用 `hearth backends add NAME URL` 添加它。</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="232"/>
        <source>Pick another name, or remove the existing backend first with `hearth backends rm NAME`.</source>
        <translation>请换一个名称，或先用 `hearth backends rm NAME` 删除已有的后端。</translation>
    </message>
</context>
<context>
    <name>ErrorMessage</name>
    <message>
        <location filename="../error_texts.py" line="26"/>
        <source>{name} is not a GGUF model file ({kind}).</source>
        <translation>{name} 不是 GGUF 模型文件（而是{kind}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="28"/>
        <source>{name} is not a GGUF model file.</source>
        <translation>{name} 不是 GGUF 模型文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="30"/>
        <source>{name} is a web page (HTML), not a GGUF model: the download probably failed.</source>
        <translation>{name} 是一个网页（HTML），不是 GGUF 模型：下载可能失败了。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="33"/>
        <source>{name} is a Git LFS pointer, not the model itself.</source>
        <translation>{name} 是一个 Git LFS 指针文件，不是模型本身。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="35"/>
        <source>{name} is an old GGML model file, from before GGUF.</source>
        <translation>{name} 是 GGUF 出现之前的旧式 GGML 模型文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="37"/>
        <source>{name} is incomplete: only {percent}% of it is present ({size} of {needed} bytes); the download was probably cut short.</source>
        <translation>{name} 不完整：只有 {percent}%（{needed} 字节中的 {size} 字节）；下载可能中途断开了。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="40"/>
        <source>{name} is damaged: its contents are not those of a valid GGUF model file.</source>
        <translation>{name} 已损坏：其内容不是有效的 GGUF 模型文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="43"/>
        <source>{name} is a symbolic link that loops back on itself, not a model file.</source>
        <translation>{name} 是一个指向自身的循环符号链接，不是模型文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="45"/>
        <source>{name} could not be read ({said}).</source>
        <translation>无法读取 {name}（{said}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="47"/>
        <source>{name} is {kind}, not a model file; Hearth reads only regular files.</source>
        <translation>{name} 是{kind}，不是模型文件；Hearth 只读取普通文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="49"/>
        <source>Part {part} of {parts} of the split model {name} ({file}) is missing.</source>
        <translation>分卷模型 {name} 共 {parts} 个分卷，缺少第 {part} 个（{file}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="51"/>
        <source>{name} is a LoRA adapter, not a model.</source>
        <translation>{name} 是 LoRA 适配器，不是模型。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="53"/>
        <source>{name} is one part of a model split in {parts}, but its name does not follow the pattern {pattern}.</source>
        <translation>{name} 是分成 {parts} 卷的模型中的一卷，但文件名不符合 {pattern} 的格式。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="56"/>
        <source>{name} contains no weights (a vocabulary-only file).</source>
        <translation>{name} 不含任何权重（只有词表的文件）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="58"/>
        <source>llama.cpp cannot load {name}: {detail}.</source>
        <translation>llama.cpp 无法加载 {name}：{detail}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="60"/>
        <source>{name} uses the architecture {arch}, which the llama.cpp in this Hearth does not know.</source>
        <translation>{name} 使用的架构 {arch} 不被此版 Hearth 内置的 llama.cpp 支持。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="63"/>
        <source>{name} is a link to a file that does not exist.</source>
        <translation>{name} 是一个链接，指向的文件不存在。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="65"/>
        <source>{name} is a folder, not a model file.</source>
        <translation>{name} 是文件夹，不是模型文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="67"/>
        <source>There is no model file at {path}.</source>
        <translation>{path} 处没有模型文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="69"/>
        <source>llama.cpp refused to load {name}. llama.cpp says: {said}</source>
        <translation>llama.cpp 拒绝加载 {name}。llama.cpp 的说明：{said}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="71"/>
        <source>The process running {name} stopped unexpectedly ({exit}).</source>
        <translation>运行 {name} 的进程意外停止（{exit}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="73"/>
        <source>{name} is broken: llama.cpp crashed on it {count} times ({exit} the last time), so Hearth will not load it again.</source>
        <translation>{name} 已损坏：llama.cpp 在它上面崩溃了 {count} 次（最近一次为{exit}），因此 Hearth 不会再加载它。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="76"/>
        <source>The image projector {name} is broken or does not fit {model}: llama.cpp crashed {count} times with it ({exit} the last time), so Hearth will not load this pair again.</source>
        <translation>图像投影器 {name} 已损坏或与 {model} 不匹配：llama.cpp 使用它时崩溃了 {count} 次（最近一次为{exit}），因此 Hearth 不会再加载这一组合。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="80"/>
        <source>This message needs {tokens} tokens with the system prompt, but the context holds {n_ctx} tokens and {reserve} are kept for the reply, leaving {budget}.</source>
        <translation>这条消息连同系统提示词需要 {tokens} 个 token，但上下文只容纳 {n_ctx} 个 token，其中 {reserve} 个留给回复，只剩 {budget} 个。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="84"/>
        <source>The conversation needs {tokens} tokens but only {budget} are available ({n_ctx} in the context, {reserve} kept for the reply).</source>
        <translation>这段对话需要 {tokens} 个 token，但只有 {budget} 个可用（上下文共 {n_ctx} 个，其中 {reserve} 个留给回复）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="87"/>
        <source>The conversation needs more tokens than the {budget} available ({n_ctx} in the context, {reserve} kept for the reply).</source>
        <translation>这段对话需要的 token 超过可用的 {budget} 个（上下文共 {n_ctx} 个，其中 {reserve} 个留给回复）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="90"/>
        <source>The model hub ({endpoint}) cannot be reached.</source>
        <translation>无法连接模型中心（{endpoint}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="92"/>
        <source>The model hub ({endpoint}) cannot be reached to download {file}.</source>
        <translation>无法连接模型中心（{endpoint}）来下载 {file}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="94"/>
        <source>Offline mode is on, so Hearth makes no network request: `hearth models {action}` cannot reach the Hugging Face Hub.</source>
        <translation>离线模式已开启，Hearth 不会发出任何网络请求：`hearth models {action}` 无法访问 Hugging Face Hub。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="97"/>
        <source>The repository {repo} was not found on the model hub.</source>
        <translation>在模型中心上找不到仓库 {repo}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="99"/>
        <source>{repo} is a gated repository: {file} needs a login and accepted conditions.</source>
        <translation>{repo} 是受限仓库：下载 {file} 需要登录并接受其条款。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="102"/>
        <source>{file} is not in the repository {repo}.</source>
        <translation>仓库 {repo} 中没有 {file}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="104"/>
        <source>Not enough disk space for {files}: {needed} still to download (plus {spare} to spare) but only {free} is free in {folder}.</source>
        <translation>磁盘空间不足以下载 {files}：还需下载 {needed}（另需预留 {spare}），但 {folder} 中只有 {free} 可用。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="107"/>
        <source>No embedding model is installed; the knowledge base needs one to index documents.</source>
        <translation>尚未安装嵌入模型；知识库需要它来为文档建立索引。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="110"/>
        <source>The disk is full: {where} could not be written.</source>
        <translation>磁盘已满：无法写入 {where}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="112"/>
        <source>The database {path} is read-only.</source>
        <translation>数据库 {path} 是只读的。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="114"/>
        <source>The database {path} cannot be opened: its folder is read-only.</source>
        <translation>无法打开数据库 {path}：它所在的文件夹是只读的。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="116"/>
        <source>There is no file {given} and no installed model of that name.</source>
        <translation>没有 {given} 这个文件，也没有叫这个名字的已安装模型。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="119"/>
        <source>The database {path} is damaged: {problem}</source>
        <translation>数据库 {path} 已损坏：{problem}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="121"/>
        <source>The backup {path} is damaged too: {problem}</source>
        <translation>备份 {path} 也已损坏：{problem}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="123"/>
        <source>Could not copy {source} to {path}: {detail}</source>
        <translation>无法把 {source} 复制到 {path}：{detail}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="125"/>
        <source>llama.cpp could not load {path}.</source>
        <translation>llama.cpp 无法加载 {path}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="127"/>
        <source>llama.cpp could not load {path}. llama.cpp says: {said}</source>
        <translation>llama.cpp 无法加载 {path}。llama.cpp 的说明：{said}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="129"/>
        <source>llama.cpp could not create a context of {n_ctx} tokens for {path}; there may not be enough memory.</source>
        <translation>llama.cpp 无法为 {path} 创建 {n_ctx} 个 token 的上下文；内存可能不足。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="132"/>
        <source>llama.cpp could not create a context of {n_ctx} tokens for {path}; there may not be enough memory. llama.cpp says: {said}</source>
        <translation>llama.cpp 无法为 {path} 创建 {n_ctx} 个 token 的上下文；内存可能不足。llama.cpp 的说明：{said}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="136"/>
        <location filename="../error_texts.py" line="138"/>
        <source>llama.cpp failed to evaluate {count} tokens (code {rc}).</source>
        <translation>llama.cpp 处理 {count} 个 token 时失败（代码 {rc}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="140"/>
        <source>{path} is a reranker, not an embedding model.</source>
        <translation>{path} 是重排序模型，不是嵌入模型。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="142"/>
        <source>llama.cpp could not create an embedding context for {path}; there may not be enough memory.</source>
        <translation>llama.cpp 无法为 {path} 创建嵌入上下文；内存可能不足。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="145"/>
        <source>{path} places image tokens with M-RoPE (Qwen2-VL and later), which Hearth does not support yet.</source>
        <translation>{path} 使用 M-RoPE（Qwen2-VL 及更新的模型）放置图像 token，Hearth 目前还不支持。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="148"/>
        <source>The image projector {path} does not fit the model {model}: {said}. Use the mmproj file published with this model.</source>
        <translation>图像投影器 {path} 与模型 {model} 不匹配：{said}。请使用与该模型一同发布的 mmproj 文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="151"/>
        <source>llama.cpp could not load the image projector {path} for {model}: {said}</source>
        <translation>llama.cpp 无法为 {model} 加载图像投影器 {path}：{said}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="154"/>
        <source>The image projector {path} does not fit the model {model}: it makes embeddings of {dim} values, the model expects {n_embd}.</source>
        <translation>图像投影器 {path} 与模型 {model} 不匹配：它生成 {dim} 维的嵌入，而模型需要 {n_embd} 维。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="158"/>
        <source>{file} is corrupt: its sha256 is {digest} but the model hub says {want}. The file was deleted.</source>
        <translation>{file} 已损坏：它的 sha256 是 {digest}，但模型中心给出的是 {want}。该文件已被删除。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="161"/>
        <source>{file} is corrupt: its sha256 is {digest} but Hearth&apos;s catalog says {want}. The file was deleted.</source>
        <translation>{file} 已损坏：它的 sha256 是 {digest}，但 Hearth 的模型目录给出的是 {want}。该文件已被删除。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="164"/>
        <source>{file} is corrupt: its git blob id is {digest} but the model hub says {want}. The file was deleted.</source>
        <translation>{file} 已损坏：它的 git blob id 是 {digest}，但模型中心给出的是 {want}。该文件已被删除。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="167"/>
        <source>{file} cannot be verified: the model hub gave neither a sha256 nor a git blob id for it (etag {etag}). The file was deleted.</source>
        <translation>无法校验 {file}：模型中心既没有给出它的 sha256，也没有给出 git blob id（etag {etag}）。该文件已被删除。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="171"/>
        <source>The download of {file} stopped at {done} of {total} after {failures} failed attempts ({last}). It can be resumed.</source>
        <translation>{file} 的下载在 {done}/{total} 处停止，已失败 {failures} 次（{last}）。可以继续下载。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="174"/>
        <source>The download of {file} was cancelled at {done} of {total}.</source>
        <translation>{file} 的下载已在 {done}/{total} 处取消。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="176"/>
        <source>The disk filled up while downloading {file} ({size}); the partial file was deleted.</source>
        <translation>下载 {file}（{size}）时磁盘已满；未下载完的文件已被删除。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="179"/>
        <source>Could not write {name}: {why}.</source>
        <translation>无法写入 {name}：{why}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="181"/>
        <source>{name} does not exist (any more), or is a broken link.</source>
        <translation>{name} 不存在（已被移走），或是一个失效的链接。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="183"/>
        <location filename="../error_texts.py" line="233"/>
        <source>{name} could not be read ({why}).</source>
        <translation>无法读取 {name}（{why}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="185"/>
        <source>{name} could not be read: the reader stopped ({exit}).</source>
        <translation>无法读取 {name}：读取进程意外停止（{exit}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="187"/>
        <source>{name} is not read: it is {kind}.</source>
        <translation>未读取 {name}：它是{kind}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="189"/>
        <source>{name} is not read: it leads outside the folder you chose (to {target}).</source>
        <translation>未读取 {name}：它指向你所选文件夹之外（{target}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="192"/>
        <source>{name} is not read: unsupported type {suffix}.</source>
        <translation>未读取 {name}：不支持 {suffix} 类型的文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="194"/>
        <source>{name} is not read: binary file.</source>
        <translation>未读取 {name}：这是二进制文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="196"/>
        <source>{name} is not read: {why}.</source>
        <translation>未读取 {name}：{why}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="198"/>
        <source>{name} is nested too deeply to read.</source>
        <translation>{name} 的嵌套层级太深，无法读取。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="200"/>
        <source>{name} needed more memory than allowed to read.</source>
        <translation>读取 {name} 所需的内存超出了允许的上限。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="202"/>
        <source>{name} took longer than {seconds} s to read.</source>
        <translation>读取 {name} 用时超过 {seconds} 秒。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="204"/>
        <source>{name} is not a text file: not text ({why}).</source>
        <translation>{name} 不是文本文件（{why}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="206"/>
        <source>{name} is not valid CSV (line {line}: {detail}).</source>
        <translation>{name} 不是有效的 CSV 文件（第 {line} 行：{detail}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="208"/>
        <source>{name} is damaged or not a Word document (not a valid zip archive).</source>
        <translation>{name} 已损坏或不是 Word 文档（不是有效的 zip 压缩包）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="211"/>
        <source>{name} is not a Word document (word/document.xml is missing).</source>
        <translation>{name} 不是 Word 文档（缺少 word/document.xml）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="214"/>
        <source>{name} is too large: its text part inflates to {size_mb} MB (the limit is {limit_mb} MB).</source>
        <translation>{name} 太大：它的文字部分解压后有 {size_mb} MB（上限为 {limit_mb} MB）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="217"/>
        <source>{name} is damaged: its text is not valid XML ({detail}).</source>
        <translation>{name} 已损坏：它的文字部分不是有效的 XML（{detail}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="219"/>
        <source>{name} is damaged ({detail}).</source>
        <translation>{name} 已损坏（{detail}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="221"/>
        <source>{name} cannot be read: the pypdf package is not installed.</source>
        <translation>无法读取 {name}：未安装 pypdf 软件包。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="223"/>
        <source>{name} is password-protected.</source>
        <translation>{name} 受密码保护。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="225"/>
        <source>{name} is encrypted in a way Hearth cannot read ({detail}).</source>
        <translation>{name} 的加密方式 Hearth 无法读取（{detail}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="227"/>
        <source>{name} is damaged: its objects are nested too deeply.</source>
        <translation>{name} 已损坏：其中对象的嵌套层级太深。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="229"/>
        <source>{name} is damaged or not a PDF ({detail}).</source>
        <translation>{name} 已损坏或不是 PDF 文件（{detail}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="231"/>
        <source>{name} is damaged: none of its {pages} pages could be read.</source>
        <translation>{name} 已损坏：它的 {pages} 页都无法读取。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="235"/>
        <source>{name} cannot be attached: unsupported type {suffix}.</source>
        <translation>无法添加 {name} 作为附件：不支持 {suffix} 类型的文件。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="237"/>
        <source>{name} cannot be attached: {why}.</source>
        <translation>无法添加 {name} 作为附件：{why}。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="239"/>
        <source>{name} has no text to send.</source>
        <translation>{name} 中没有可发送的文字。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="241"/>
        <source>{name} has no text to send (a scanned PDF has only pictures of text).</source>
        <translation>{name} 中没有可发送的文字（扫描的 PDF 里只有文字的图片）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="244"/>
        <source>{name} could not be stored in Hearth&apos;s data folder ({why}).</source>
        <translation>无法把 {name} 保存到 Hearth 的数据文件夹（{why}）。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="246"/>
        <source>{name} is too large to attach: its text is {size} characters; the limit is {limit}. Nothing was stored.</source>
        <translation>{name} 太大，无法作为附件：它的文字有 {size} 个字符，上限为 {limit}。没有保存任何内容。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="270"/>
        <source>No model is loaded.</source>
        <translation>尚未加载模型。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="271"/>
        <source>No model is installed.</source>
        <translation>尚未安装模型。</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="272"/>
        <source>No embedding model is loaded.</source>
        <translation>尚未加载嵌入模型。</translation>
    </message>
</context>
<context>
    <name>ErrorWords</name>
    <message>
        <location filename="../error_hints.py" line="236"/>
        <source>a JPEG image</source>
        <translation>一张 JPEG 图片</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="237"/>
        <source>a PNG image</source>
        <translation>一张 PNG 图片</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="238"/>
        <source>a GIF image</source>
        <translation>一张 GIF 图片</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="239"/>
        <source>a PDF document</source>
        <translation>一份 PDF 文档</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="240"/>
        <source>a ZIP archive or Office document</source>
        <translation>一个 ZIP 压缩包或 Office 文档</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="241"/>
        <source>a RIFF file: audio, video or a WebP image</source>
        <translation>一个 RIFF 文件：音频、视频或 WebP 图片</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="242"/>
        <source>a program</source>
        <translation>一个程序</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="243"/>
        <source>a Windows program</source>
        <translation>一个 Windows 程序</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="244"/>
        <source>a gzip archive</source>
        <translation>一个 gzip 压缩包</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="245"/>
        <location filename="../errors_ui.py" line="78"/>
        <source>an unknown cause</source>
        <translation>原因不明</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="247"/>
        <source>a folder</source>
        <translation>一个文件夹</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="248"/>
        <source>a FIFO (named pipe)</source>
        <translation>一个 FIFO（命名管道）</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="249"/>
        <source>a socket</source>
        <translation>一个套接字</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="250"/>
        <source>a device</source>
        <translation>一个设备</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="251"/>
        <source>not a regular file</source>
        <translation>不是普通文件</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="253"/>
        <source>a named pipe (FIFO)</source>
        <translation>命名管道（FIFO）</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="254"/>
        <source>a character device</source>
        <translation>字符设备</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="255"/>
        <source>a block device</source>
        <translation>块设备</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="257"/>
        <source>it contains binary data</source>
        <translation>它包含二进制数据</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="258"/>
        <source>no text encoding fits its bytes</source>
        <translation>没有任何文字编码能解读它的字节</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="260"/>
        <source>does not exist</source>
        <translation>不存在</translation>
    </message>
    <message>
        <location filename="../error_hints.py" line="261"/>
        <source>cannot be read</source>
        <translation>无法读取</translation>
    </message>
</context>
<context>
    <name>HitsTable</name>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="157"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="157"/>
        <source>Rerank</source>
        <translation>重排</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="157"/>
        <source>Fused</source>
        <translation>融合</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="157"/>
        <source>Vector</source>
        <translation>向量</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="157"/>
        <source>Keyword</source>
        <translation>关键词</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="158"/>
        <source>Page</source>
        <translation>页</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="158"/>
        <source>Lines</source>
        <translation>行</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="158"/>
        <source>Text</source>
        <translation>文本</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="158"/>
        <source>Heading</source>
        <translation>标题</translation>
    </message>
</context>
<context>
    <name>KnowledgeChoice</name>
    <message>
        <location filename="../main/knowledge_choice.py" line="148"/>
        <source>No collections yet. Create one in File → Knowledge…</source>
        <translation>还没有集合。请在“文件 → 知识库…”中创建。</translation>
    </message>
    <message>
        <location filename="../main/knowledge_choice.py" line="149"/>
        <source>Answer only from documents</source>
        <translation>仅根据文档回答</translation>
    </message>
    <message>
        <location filename="../main/knowledge_choice.py" line="151"/>
        <source>When the documents hold nothing relevant, say so instead of answering from the model&apos;s memory.</source>
        <translation>文档中没有相关内容时，直接说明，而不是凭模型自身的记忆回答。</translation>
    </message>
    <message>
        <location filename="../main/knowledge_choice.py" line="156"/>
        <source>No folders or files added yet.</source>
        <translation>尚未添加文件夹或文件。</translation>
    </message>
    <message>
        <location filename="../main/knowledge_choice.py" line="158"/>
        <source>Not indexed yet: index it in File → Knowledge….</source>
        <translation>尚未索引：请在“文件 → 知识库…”中建立索引。</translation>
    </message>
    <message>
        <location filename="../main/knowledge_choice.py" line="159"/>
        <source>Replies search the ticked collections and cite what they use.</source>
        <translation>回复时会搜索勾选的集合，并注明引用的来源。</translation>
    </message>
</context>
<context>
    <name>KnowledgeProgress</name>
    <message>
        <location filename="../knowledge/widgets.py" line="29"/>
        <source>about %1 s left</source>
        <translation>约剩 %1 秒</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="31"/>
        <source>about %1 min left</source>
        <translation>约剩 %1 分钟</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="33"/>
        <source>about %1 h left</source>
        <translation>约剩 %1 小时</translation>
    </message>
</context>
<context>
    <name>KnowledgeWindow</name>
    <message>
        <location filename="../knowledge/window.py" line="195"/>
        <source>(%1 failed)</source>
        <translation>（%1 个失败）</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="202"/>
        <source>Waiting</source>
        <translation>等待中</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="205"/>
        <source>Indexing %1%</source>
        <translation>正在索引 %1%</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="206"/>
        <source>Indexing</source>
        <translation>正在索引</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="208"/>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="210"/>
        <source>Empty</source>
        <translation>空</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="211"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="232"/>
        <source>Problems (%1)</source>
        <translation>问题（%1）</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="233"/>
        <location filename="../knowledge/window.py" line="420"/>
        <source>Problems</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="268"/>
        <source>New collection</source>
        <translation>新建集合</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="268"/>
        <source>Name of the collection:</source>
        <translation>集合名称：</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="282"/>
        <source>Rename collection</source>
        <translation>重命名集合</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="282"/>
        <source>New name:</source>
        <translation>新名称：</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="306"/>
        <source>Delete collection</source>
        <translation>删除集合</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="307"/>
        <source>Delete the collection “%1” and its index? Your files are not touched: they stay where they are.</source>
        <translation>删除集合“%1”及其索引？你的文件不受影响，仍保留在原处。</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="323"/>
        <source>Add a folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="328"/>
        <source>Add files</source>
        <translation>添加文件</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="339"/>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="240"/>
        <source>Not embedded yet</source>
        <translation>尚未嵌入</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="241"/>
        <source>Vectors: %1 (%2 dimensions)</source>
        <translation>向量：%1（%2 维）</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="408"/>
        <source>Knowledge</source>
        <translation>知识库</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="409"/>
        <source>Collection</source>
        <translation>集合</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="409"/>
        <source>Files</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="409"/>
        <source>Chunks</source>
        <translation>分块</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="410"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="411"/>
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="413"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="414"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="416"/>
        <source>A collection is a set of folders and files that your models can answer from. Hearth reads them, splits them into passages and keeps a search index; your files stay where they are and are never changed.

Create one with New…, or drop folders and files here.</source>
        <translation>集合是一组文件夹和文件，模型可以根据其中的内容回答问题。Hearth 会读取这些文件，将其拆分成片段并建立搜索索引；你的文件保留在原处，不会被修改。

点击“新建…”创建集合，或将文件夹和文件拖放到这里。</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="419"/>
        <source>Folders and files</source>
        <translation>文件夹和文件</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="421"/>
        <source>Test retrieval</source>
        <translation>测试检索</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="422"/>
        <source>Folders are watched while Hearth runs: new and changed files are indexed by themselves. Drop folders or files here to add them.</source>
        <translation>Hearth 运行期间会监视这些文件夹：新增和修改的文件会自动建立索引。将文件夹或文件拖放到这里即可添加。</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="424"/>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="425"/>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="426"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../knowledge/window.py" line="427"/>
        <source>Retry failed</source>
        <translation>重试失败项</translation>
    </message>
</context>
<context>
    <name>LinkDialog</name>
    <message>
        <location filename="../main/link_dialog.py" line="150"/>
        <source>Open link?</source>
        <translation>打开链接？</translation>
    </message>
    <message>
        <location filename="../main/link_dialog.py" line="152"/>
        <source>This link opens:</source>
        <translation>此链接将打开：</translation>
    </message>
    <message>
        <location filename="../main/link_dialog.py" line="155"/>
        <source>The link text shows %1 but it opens %2.</source>
        <translation>链接文字显示的是 %1，但实际打开的是 %2。</translation>
    </message>
    <message>
        <location filename="../main/link_dialog.py" line="161"/>
        <source>Open it only if you trust where it goes.</source>
        <translation>仅在你信任其目标地址时才打开。</translation>
    </message>
    <message>
        <location filename="../main/link_dialog.py" line="166"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../main/link_dialog.py" line="169"/>
        <source>Copy link</source>
        <translation>复制链接</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main/window_doors.py" line="40"/>
        <source>Add a model file</source>
        <translation>添加模型文件</translation>
    </message>
    <message>
        <location filename="../main/window_doors.py" line="41"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location filename="../main/conversation_actions.py" line="53"/>
        <source>Stop the reply before deleting this conversation.</source>
        <translation>请先停止回复，再删除此对话。</translation>
    </message>
    <message>
        <location filename="../main/conversation_actions.py" line="123"/>
        <source>New chats will start with these settings.</source>
        <translation>新对话将使用这些设置。</translation>
    </message>
    <message>
        <location filename="../main/conversation_actions.py" line="93"/>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location filename="../main/conversation_actions.py" line="90"/>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <location filename="../main/conversation_actions.py" line="91"/>
        <source>JSON, every branch (*.json)</source>
        <translation>JSON，包含所有分支 (*.json)</translation>
    </message>
    <message>
        <location filename="../main/conversation_actions.py" line="103"/>
        <source>Saved %1</source>
        <translation>已保存到 %1</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="67"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="68"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="69"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="70"/>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="71"/>
        <source>About Hearth</source>
        <translation>关于 Hearth</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="72"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="73"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="74"/>
        <source>Add a model file…</source>
        <translation>添加模型文件…</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="75"/>
        <source>Open the models folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="76"/>
        <source>Models…</source>
        <translation>模型…</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="77"/>
        <source>Knowledge…</source>
        <translation>知识库…</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="78"/>
        <source>Attach files…</source>
        <translation>附加文件…</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="79"/>
        <source>Export chat…</source>
        <translation>导出对话…</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="80"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="81"/>
        <source>Model and settings panel</source>
        <translation>模型与设置面板</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="82"/>
        <source>Use this chat&apos;s settings for new chats</source>
        <translation>将此对话的设置用于新对话</translation>
    </message>
    <message>
        <location filename="../main/menus.py" line="83"/>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../main/replies.py" line="139"/>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <location filename="../main/replies.py" line="150"/>
        <source>Add a model first</source>
        <translation>请先添加模型</translation>
    </message>
    <message>
        <location filename="../main/replies.py" line="152"/>
        <source>A reply is being written in another conversation</source>
        <translation>另一个对话正在生成回复</translation>
    </message>
    <message>
        <location filename="../main/replies.py" line="176"/>
        <source>Searching your documents…</source>
        <translation>正在搜索你的文档…</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="151"/>
        <source>“%1” could not be read within %2 s.</source>
        <translation>“%1”在 %2 秒内未能读取。</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="153"/>
        <source>Attach a regular file (not a pipe or a device) that can be read from this computer.</source>
        <translation>请附加这台电脑上可以读取的普通文件（而不是管道或设备）。</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="205"/>
        <source>Images and documents (%1)</source>
        <translation>图片和文档 (%1)</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="206"/>
        <source>Images (%1)</source>
        <translation>图片 (%1)</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="207"/>
        <source>Documents (%1)</source>
        <translation>文档 (%1)</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="208"/>
        <source>All files (*)</source>
        <translation>所有文件 (*)</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="209"/>
        <source>Attach files</source>
        <translation>附加文件</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="224"/>
        <source>Pasted image</source>
        <translation>粘贴的图片</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="291"/>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="294"/>
        <source>Add to a knowledge base</source>
        <translation>添加到知识库</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="295"/>
        <source>Add “%1” to the collection (choose one, or type a new name):</source>
        <translation>将“%1”添加到集合（选择一个，或输入新名称）：</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="334"/>
        <source>Adding “%1” to “%2”; your message is sent again once it is indexed.</source>
        <translation>正在把“%1”加入“%2”；索引完成后会自动重新发送你的消息。</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="343"/>
        <source>Indexing “%1” stopped; send your message when it is ready.</source>
        <translation>“%1”的索引已停止；准备好后请再发送你的消息。</translation>
    </message>
    <message>
        <location filename="../main/attachments.py" line="352"/>
        <source>“%1” is in “%2”; this chat now answers from it.</source>
        <translation>“%1”已加入“%2”；此对话现在会依据它来回答。</translation>
    </message>
</context>
<context>
    <name>Markdown</name>
    <message>
        <location filename="../main/markdown.py" line="154"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../main/markdown.py" line="271"/>
        <source>[image: %1]</source>
        <translation>[图片：%1]</translation>
    </message>
    <message>
        <location filename="../main/markdown.py" line="272"/>
        <source>[image]</source>
        <translation>[图片]</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <location filename="../main/message_widget.py" line="237"/>
        <source>Thinking…</source>
        <translation>思考中…</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="237"/>
        <source>Reasoning</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="295"/>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="298"/>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="299"/>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="299"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="300"/>
        <source>Writing…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="302"/>
        <source>Interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="306"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/message_widget.py" line="309"/>
        <source>and %n more</source>
        <translation>
            <numerusform>及另外 %n 条</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/message_widget.py" line="311"/>
        <source>To fit the context, %n earlier message(s) were left out of this reply&apos;s prompt: </source>
        <translation>
            <numerusform>为适应上下文，此回复的提示中省略了 %n 条较早的消息：</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="318"/>
        <source>The model stopped while writing this reply. What it wrote is kept.</source>
        <translation>模型在写这条回复时停止了运行。已写出的内容已保留。</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="319"/>
        <source>This message could not be answered.</source>
        <translation>无法回复这条消息。</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="321"/>
        <source>Reload model</source>
        <translation>重新加载模型</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="322"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="323"/>
        <source>Copy this message</source>
        <translation>复制此消息</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="324"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="325"/>
        <source>Write another reply; this one is kept</source>
        <translation>再生成一条回复，当前回复会保留</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="326"/>
        <source>Show prompt</source>
        <translation>显示提示词</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="328"/>
        <source>The exact text the model was given for this reply</source>
        <translation>生成这条回复时模型收到的完整文本</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="329"/>
        <source>This reply has no stored prompt: it was written before prompts were kept, or it failed before the prompt was built</source>
        <translation>这条回复没有保存提示词：它写于开始保存提示词之前，或在提示词生成之前就失败了</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="331"/>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="332"/>
        <source>Edit and resend; the original is kept</source>
        <translation>编辑后重新发送，原消息会保留</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="333"/>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="334"/>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="335"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="336"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="339"/>
        <source>%1 s to first token</source>
        <translation>首 token 用时 %1 秒</translation>
    </message>
    <message>
        <location filename="../main/message_widget.py" line="341"/>
        <source>%1 tokens/s</source>
        <translation>%1 token/秒</translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message>
        <location filename="../models/manager.py" line="133"/>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="131"/>
        <source>Remove %1? Files in Hearth&apos;s models folder are deleted; a file you imported from elsewhere stays where it is.</source>
        <translation>移除 %1？Hearth 模型文件夹中的文件会被删除；从其他位置导入的文件保留在原处。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="144"/>
        <source>Import a model</source>
        <translation>导入模型</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="145"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="221"/>
        <source>Recommended models that fit this computer. Search to find others.</source>
        <translation>适合这台电脑的推荐模型。搜索可查找其他模型。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="262"/>
        <source>Offline: the Hugging Face Hub cannot be reached, so searching and downloading do not work now. Hearth&apos;s catalog stays listed and installed models keep working.</source>
        <translation>离线：无法连接 Hugging Face Hub，因此现在无法搜索和下载。Hearth 的模型目录仍会列出，已安装的模型照常可用。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="270"/>
        <source>Offline mode is on (File → Settings…): Hearth makes no network request, so searching and downloading from the Hugging Face Hub are off. Installed models keep working.</source>
        <translation>离线模式已开启（文件 → 设置…）：Hearth 不发出任何网络请求，因此无法从 Hugging Face Hub 搜索和下载。已安装的模型照常可用。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="283"/>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="295"/>
        <source>Offline: the Hub cannot be reached. Showing the models of Hearth&apos;s catalog that match.</source>
        <translation>离线：无法连接 Hub。下面显示 Hearth 模型目录中匹配的模型。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="296"/>
        <source>Offline: the Hub cannot be reached, and no model of Hearth&apos;s catalog matches. Showing the whole catalog.</source>
        <translation>离线：无法连接 Hub，Hearth 模型目录中也没有匹配的模型。下面显示整个目录。</translation>
    </message>
    <message numerus="yes">
        <location filename="../models/manager.py" line="306"/>
        <source>%n repositories</source>
        <translation>
            <numerusform>%n 个仓库</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="307"/>
        <source>No GGUF models match.</source>
        <translation>没有匹配的 GGUF 模型。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="321"/>
        <source>Reading %1 and checking what fits this computer…</source>
        <translation>正在读取 %1，并检查哪些适合这台电脑…</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="332"/>
        <source>fits</source>
        <translation>合适</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="332"/>
        <source>tight</source>
        <translation>勉强</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="332"/>
        <source>too big</source>
        <translation>太大</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="393"/>
        <source>Backends</source>
        <translation>后端</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="32"/>
        <source>chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="33"/>
        <source>reasoning</source>
        <translation>推理</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="34"/>
        <source>tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="35"/>
        <location filename="../models/manager.py" line="339"/>
        <source>vision</source>
        <translation>视觉</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="36"/>
        <source>embedding</source>
        <translation>嵌入</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="96"/>
        <source>Loaded now</source>
        <translation>当前已加载</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="117"/>
        <location filename="../models/listing.py" line="43"/>
        <source>Chat models</source>
        <translation>对话模型</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="118"/>
        <source>Embedding models: knowledge bases use them to find passages; they cannot chat</source>
        <translation>嵌入模型：知识库用它们查找段落，它们不能对话</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="120"/>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="121"/>
        <source>In use</source>
        <translation>使用中</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="122"/>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="124"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="125"/>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="126"/>
        <source>Vision</source>
        <translation>视觉</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="127"/>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="130"/>
        <source>Import a .gguf…</source>
        <translation>导入 .gguf…</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="131"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="132"/>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="44"/>
        <source>Chat models that can see images</source>
        <translation>能看图的对话模型</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="45"/>
        <source>Embedding models (for knowledge bases, not for chatting)</source>
        <translation>嵌入模型（用于知识库，不能对话）</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="70"/>
        <source>too big for this computer</source>
        <translation>对这台电脑来说太大</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="72"/>
        <source>Hearth cannot show this model images</source>
        <translation>Hearth 无法给这个模型看图</translation>
    </message>
    <message>
        <location filename="../models/listing.py" line="120"/>
        <source>Hearth&apos;s models folder</source>
        <translation>Hearth 的模型文件夹</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="348"/>
        <source>Memory needed at a context of %1 tokens. ★ marks the best that fits.</source>
        <translation>按 %1 token 上下文估算所需内存。★ 标记最合适的一个。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="350"/>
        <source>This repository has no GGUF models.</source>
        <translation>这个仓库没有 GGUF 模型。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="359"/>
        <source>Choose a model in the list on the left, then one of its files, to download it.</source>
        <translation>先在左侧列表中选择一个模型，再选择它的一个文件，才能下载。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="361"/>
        <source>Choose one of the files above to download it.</source>
        <translation>请在上方选择一个文件来下载。</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="369"/>
        <source>Offline: the Hub cannot be reached. Installed models keep working.</source>
        <translation>离线：无法连接 Hub。已安装的模型仍可使用。</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="72"/>
        <source>Waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="105"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="106"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="119"/>
        <source>Checking the part already downloaded…</source>
        <translation>正在检查已下载的部分…</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="120"/>
        <source>Connection lost, retrying…</source>
        <translation>连接中断，正在重试…</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="121"/>
        <source>Verifying…</source>
        <translation>正在校验…</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="124"/>
        <source>, %1 s left</source>
        <translation>，剩余 %1 秒</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="134"/>
        <location filename="../models/manager.py" line="391"/>
        <source>Installed</source>
        <translation>已安装</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="142"/>
        <source>Paused; the part downloaded so far is kept</source>
        <translation>已暂停；已下载的部分会保留</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="146"/>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../models/downloads.py" line="161"/>
        <source>Paused at %1</source>
        <translation>暂停于 %1</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="390"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="392"/>
        <source>Find models</source>
        <translation>查找模型</translation>
    </message>
    <message>
        <location filename="../models/installed_panel.py" line="123"/>
        <location filename="../models/manager.py" line="397"/>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="397"/>
        <location filename="../models/manager.py" line="403"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="397"/>
        <source>Memory needed</source>
        <translation>所需内存</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="397"/>
        <source>Fit</source>
        <translation>适配</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="398"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="399"/>
        <source>Search the Hugging Face Hub, e.g. “qwen 1.5b instruct”</source>
        <translation>搜索 Hugging Face Hub，例如“qwen 1.5b instruct”</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="400"/>
        <source>Most downloaded</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="400"/>
        <source>Most liked</source>
        <translation>最受欢迎</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="400"/>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <location filename="../models/manager.py" line="402"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
</context>
<context>
    <name>ModelPicker</name>
    <message>
        <location filename="../main/model_picker.py" line="22"/>
        <source>%1 · on %2</source>
        <translation>%1 · 位于 %2</translation>
    </message>
    <message>
        <location filename="../main/model_picker.py" line="37"/>
        <source>Computed by the backend %1, not on this computer</source>
        <translation>由后端 %1 计算，而不是在这台电脑上</translation>
    </message>
    <message>
        <location filename="../main/model_picker.py" line="44"/>
        <source>%1 (backend removed)</source>
        <translation>%1（后端已删除）</translation>
    </message>
</context>
<context>
    <name>ProblemsTable</name>
    <message>
        <location filename="../knowledge/widgets.py" line="133"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="133"/>
        <source>skipped</source>
        <translation>已跳过</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="154"/>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="154"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="154"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>ProgressRow</name>
    <message>
        <location filename="../knowledge/widgets.py" line="88"/>
        <location filename="../knowledge/widgets.py" line="118"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="88"/>
        <location filename="../knowledge/widgets.py" line="118"/>
        <source>Index now</source>
        <translation>立即索引</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="97"/>
        <source>Waiting for another collection to finish indexing…</source>
        <translation>正在等待另一个集合完成索引…</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="99"/>
        <source>Looking for new and changed files…</source>
        <translation>正在查找新增和修改的文件…</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="101"/>
        <source>%1 of %2 files · %3 chunks</source>
        <translation>%1/%2 个文件 · %3 个分块</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="107"/>
        <source>Paused: %1 files still to index. Resume goes on where it stopped.</source>
        <translation>已暂停：还有 %1 个文件待索引。继续后将从中断处接着进行。</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="110"/>
        <source>Cancelled. Files not reached yet are indexed the next time.</source>
        <translation>已取消。尚未处理的文件会在下次索引。</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="112"/>
        <source>Add folders or files to index them.</source>
        <translation>添加文件夹或文件即可建立索引。</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="113"/>
        <source>Up to date: %1 files, %2 chunks.</source>
        <translation>已是最新：%1 个文件，%2 个分块。</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="117"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../knowledge/widgets.py" line="119"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>PromptDialog</name>
    <message>
        <location filename="../main/prompt_dialog.py" line="50"/>
        <source>Copy prompt</source>
        <translation>复制提示词</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="60"/>
        <source>Prompt of this reply</source>
        <translation>这条回复的提示词</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="74"/>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="77"/>
        <source>Chat template: %1</source>
        <translation>对话模板：%1</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="79"/>
        <source>Thinking: %1</source>
        <translation>思考：%1</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="80"/>
        <source>on</source>
        <translation>开</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="80"/>
        <source>off</source>
        <translation>关</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="81"/>
        <source>the template&apos;s default</source>
        <translation>模板默认</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="83"/>
        <source>Context: %1 tokens</source>
        <translation>上下文：%1 个 token</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/prompt_dialog.py" line="91"/>
        <source>%n earlier message(s) were left out to fit the context.</source>
        <translation>
            <numerusform>为放入上下文，省略了 %n 条较早的消息。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="94"/>
        <source>This model&apos;s chat template has no system role: the system prompt was put at the start of the first user message, as llama.cpp does.</source>
        <translation>此模型的对话模板没有系统角色：系统提示词已放在第一条用户消息的开头（与 llama.cpp 相同）。</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="97"/>
        <source>Messages that got no reply were sent together as one user turn.</source>
        <translation>没有得到回复的消息已合并为一条用户消息发送。</translation>
    </message>
    <message>
        <location filename="../main/prompt_dialog.py" line="100"/>
        <source>The prompt is too long to keep whole: its first %1 characters are not shown.</source>
        <translation>提示词过长，无法完整保存：前 %1 个字符未显示。</translation>
    </message>
</context>
<context>
    <name>RetrievalTest</name>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="247"/>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message numerus="yes">
        <location filename="../knowledge/retrieval_test.py" line="249"/>
        <source>%n passages, best first. Double-click one to open its file.</source>
        <translation>
            <numerusform>%n 个片段，最相关的排在前面。双击可打开所在文件。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="250"/>
        <source>Nothing matches.</source>
        <translation>没有匹配的内容。</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="272"/>
        <source>Keyword search: rank %1, bm25 %2</source>
        <translation>关键词搜索：第 %1 名，bm25 %2</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="274"/>
        <source>Keyword search: not among its results</source>
        <translation>关键词搜索：不在其结果中</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="275"/>
        <source>Vector search: rank %1, similarity %2</source>
        <translation>向量搜索：第 %1 名，相似度 %2</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="277"/>
        <source>Vector search: not among its results</source>
        <translation>向量搜索：不在其结果中</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="278"/>
        <source>Fused score (reciprocal rank): %1</source>
        <translation>融合得分（倒数排名）：%1</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="281"/>
        <source>Rerank: %1 = fused rank %2 + question terms held %3 + best window %4 + phrases %5 + title %6 (each weighted)</source>
        <translation>重排：%1 = 融合排名 %2 + 命中问题词 %3 + 最佳窗口 %4 + 短语 %5 + 标题 %6（各自加权）</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="289"/>
        <source>Question terms found: %1</source>
        <translation>找到的问题词：%1</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="290"/>
        <source>Not found: %1</source>
        <translation>未找到：%1</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="295"/>
        <source>Ask something the documents answer, to see what is found</source>
        <translation>输入一个文档中能找到答案的问题，看看能检索到什么</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="296"/>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="297"/>
        <source>Hybrid + rerank</source>
        <translation>混合 + 重排</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="297"/>
        <source>Hybrid</source>
        <translation>混合</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="298"/>
        <source>Keywords only</source>
        <translation>仅关键词</translation>
    </message>
    <message>
        <location filename="../knowledge/retrieval_test.py" line="298"/>
        <source>Vectors only</source>
        <translation>仅向量</translation>
    </message>
</context>
<context>
    <name>SearchLine</name>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="42"/>
        <source>Searched %n passage(s)</source>
        <translation>
            <numerusform>搜索了 %n 个片段</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="42"/>
        <source>using %n</source>
        <translation>
            <numerusform>使用了 %n 个</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../settings/window.py" line="120"/>
        <location filename="../settings/window.py" line="245"/>
        <source>The first installed model</source>
        <translation>第一个已安装的模型</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="130"/>
        <location filename="../settings/window.py" line="247"/>
        <source>Hearth&apos;s default</source>
        <translation>Hearth 默认</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="206"/>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="207"/>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="208"/>
        <source>New chats and collections</source>
        <translation>新对话和文档集</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="209"/>
        <source>How models run</source>
        <translation>模型运行方式</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="210"/>
        <source>Data and network</source>
        <translation>数据与网络</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="211"/>
        <source>Default model for new chats</source>
        <translation>新对话的默认模型</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="212"/>
        <source>Default embedding model for new collections</source>
        <translation>新文档集的默认嵌入模型</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="213"/>
        <source>CPU threads</source>
        <translation>CPU 线程数</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="213"/>
        <source>Layers on the GPU</source>
        <translation>放在 GPU 上的层数</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="214"/>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="214"/>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="215"/>
        <source>Font size</source>
        <translation>字号</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="215"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="217"/>
        <source>Automatic (one per core)</source>
        <translation>自动（每个核心一个）</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="218"/>
        <source>Automatic (as many as fit)</source>
        <translation>自动（尽量多放）</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="219"/>
        <source>Automatic puts as many layers on the GPU as its free memory holds (all, when they fit) and fewer if loading runs out of memory; 0 keeps the model on the CPU. Threads and GPU layers apply the next time a model loads.</source>
        <translation>自动：按显卡空闲显存放入尽可能多的层（放得下就全部放入），加载时显存不足则减少层数；设为 0 则模型只在 CPU 上运行。线程数和 GPU 层数在下次加载模型时生效。</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="223"/>
        <source>Threads and GPU layers apply the next time a model loads.</source>
        <translation>线程数和 GPU 层数在下次加载模型时生效。</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="224"/>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="225"/>
        <source> pt</source>
        <translation> 磅</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="226"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="227"/>
        <source>To keep your chats and models elsewhere, quit Hearth, move this folder and set the HEARTH_HOME environment variable to its new place.</source>
        <translation>要把对话和模型放到别处：退出 Hearth，移动这个文件夹，并把环境变量 HEARTH_HOME 设为它的新位置。</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="229"/>
        <source>Offline mode</source>
        <translation>离线模式</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="230"/>
        <source>Hearth makes no network request at all: searching and downloading models from the Hugging Face Hub are off. Installed models keep working.</source>
        <translation>Hearth 完全不发出网络请求：从 Hugging Face Hub 搜索和下载模型的功能关闭。已安装的模型照常可用。</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="233"/>
        <location filename="../settings/window.py" line="240"/>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="233"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../settings/window.py" line="233"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
</context>
<context>
    <name>SettingsPanel</name>
    <message>
        <location filename="../main/settings_panel.py" line="291"/>
        <source>Conversation settings</source>
        <translation>对话设置</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="291"/>
        <location filename="../main/settings_panel.py" line="323"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="292"/>
        <source>Knowledge</source>
        <translation>知识库</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="293"/>
        <source>Replies</source>
        <translation>回复</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="294"/>
        <source>Advanced sampling</source>
        <translation>高级采样</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="297"/>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="298"/>
        <source>The model that writes the replies in this conversation.</source>
        <translation>在此对话中生成回复的模型。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="299"/>
        <source>&amp;Context</source>
        <translation>上下文(&amp;C)</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="300"/>
        <source>How much of the conversation the model can see at once, in tokens. More context remembers more but takes more memory. Changing it reloads the model.</source>
        <translation>模型一次能看到多少对话内容（以 token 计）。上下文越大记得越多，但占用内存也越多。更改后会重新加载模型。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="302"/>
        <source>&amp;Temperature</source>
        <translation>温度(&amp;T)</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="303"/>
        <source>How adventurous the model is when it picks each next word.</source>
        <translation>模型挑选下一个词时的大胆程度。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="304"/>
        <source>Reply &amp;length</source>
        <translation>回复长度(&amp;L)</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="305"/>
        <source>A reply stops after this many tokens (a token is about ¾ of a word).</source>
        <translation>回复达到此 token 数后停止（1 个 token 约为 ¾ 个英文单词）。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="306"/>
        <source>Top-&amp;p</source>
        <translation>Top-&amp;p</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="307"/>
        <source>Consider only the most likely words that together make up this share of the probability. 1.00 turns it off.</source>
        <translation>只考虑累计概率达到此比例的最可能的词。1.00 表示关闭。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="309"/>
        <source>Top-&amp;k</source>
        <translation>Top-&amp;k</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="310"/>
        <source>Consider only this many of the most likely next words. 0 turns it off.</source>
        <translation>只从概率最高的这么多个词中选择下一个词。0 表示关闭。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="311"/>
        <source>M&amp;in-p</source>
        <translation>M&amp;in-p</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="312"/>
        <source>Skip words less likely than this fraction of the most likely word. 0.00 turns it off.</source>
        <translation>跳过概率低于最可能词的这一比例的词。0.00 表示关闭。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="313"/>
        <source>Repeat &amp;penalty</source>
        <translation>重复惩罚(&amp;R)</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="314"/>
        <source>Makes recently used words less likely, against loops. 1.00 turns it off.</source>
        <translation>降低最近用过的词再次出现的概率，避免陷入重复。1.00 表示关闭。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="315"/>
        <source>&amp;Seed</source>
        <translation>种子(&amp;S)</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="316"/>
        <source>A fixed seed gives the same reply again for the same conversation and settings.</source>
        <translation>使用固定种子时，相同的对话和设置会得到相同的回复。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="322"/>
        <source>Choose a model</source>
        <translation>选择模型</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="325"/>
        <source>Instructions the model follows for the whole conversation, e.g. “Answer briefly, in plain English.”</source>
        <translation>模型在整个对话中遵循的指令，例如“用通俗的中文简要回答。”</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="326"/>
        <source>Temperature value</source>
        <translation>温度值</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="327"/>
        <source>Context size and memory</source>
        <translation>上下文大小与内存占用</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="328"/>
        <source> tokens</source>
        <translation> token</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="329"/>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="330"/>
        <source>Random</source>
        <translation>随机</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="331"/>
        <source>Random seed for every reply</source>
        <translation>每次回复使用随机种子</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="332"/>
        <source>A new random seed for every reply.</source>
        <translation>每次回复都使用新的随机种子。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="333"/>
        <source>Think before answering</source>
        <translation>先思考再回答</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="334"/>
        <source>The model reasons step by step before it answers: often better answers, but slower. Its thinking is shown folded above the reply.</source>
        <translation>模型先逐步推理再回答：答案往往更好，但更慢。它的思考过程折叠显示在回复上方。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="336"/>
        <source>Reset to defaults</source>
        <translation>恢复默认</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="337"/>
        <source>Reset sampling to defaults</source>
        <translation>将采样设置恢复为默认值</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="339"/>
        <source>Put the temperature, reply length and sampling back to Hearth&apos;s defaults.</source>
        <translation>将温度、回复长度和采样设置恢复为 Hearth 的默认值。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="415"/>
        <source>{tokens} tokens</source>
        <translation>{tokens} token</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="417"/>
        <source>{tokens} tokens · {memory} for the context</source>
        <translation>{tokens} token · 上下文占用 {memory}</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="455"/>
        <source>Always the most likely word: the same reply every time.</source>
        <translation>总是选择最可能的词：每次回复都相同。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="456"/>
        <source>Focused and predictable: good for facts, code and summaries.</source>
        <translation>专注、可预测：适合事实问答、代码和摘要。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="457"/>
        <source>Balanced: natural wording with some variety.</source>
        <translation>均衡：措辞自然，略有变化。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="458"/>
        <source>Varied and creative: good for ideas and stories.</source>
        <translation>多样、有创意：适合构思点子和写故事。</translation>
    </message>
    <message>
        <location filename="../main/settings_panel.py" line="459"/>
        <source>Very random: replies may wander off or stop making sense.</source>
        <translation>非常随机：回复可能跑题或语无伦次。</translation>
    </message>
    <message>
        <location filename="../main/model_picker.py" line="48"/>
        <source>{name} (not installed)</source>
        <translation>{name}（未安装）</translation>
    </message>
</context>
<context>
    <name>SkipReason</name>
    <message>
        <location filename="../error_texts.py" line="250"/>
        <source>unsupported type {suffix}</source>
        <translation>不支持 {suffix} 类型的文件</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="251"/>
        <source>binary file</source>
        <translation>二进制文件</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="252"/>
        <source>is {kind}</source>
        <translation>是{kind}</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="253"/>
        <source>larger than {mb} MB</source>
        <translation>大于 {mb} MB</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="254"/>
        <source>link leads outside the folder you chose (to {target})</source>
        <translation>链接指向你所选文件夹之外（{target}）</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="255"/>
        <source>broken link (its target does not exist)</source>
        <translation>失效的链接（目标不存在）</translation>
    </message>
    <message>
        <location filename="../error_texts.py" line="256"/>
        <source>link to {kind}</source>
        <translation>指向{kind}的链接</translation>
    </message>
</context>
<context>
    <name>SourceCard</name>
    <message>
        <location filename="../main/sources_view.py" line="161"/>
        <source>page %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="164"/>
        <source>lines %1–%2</source>
        <translation>第 %1–%2 行</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="165"/>
        <source>line %1</source>
        <translation>第 %1 行</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="171"/>
        <source>Cited</source>
        <translation>已引用</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="172"/>
        <source>The reply cites this source.</source>
        <translation>回复引用了此来源。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="174"/>
        <source>Score %1 · cosine %2 · bm25 %3</source>
        <translation>得分 %1 · 余弦 %2 · bm25 %3</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="178"/>
        <source>Score: both searches fused by rank (higher is better). Cosine: how close the meaning is (0 to 1). bm25: how well the words match (lower is better); – when that search did not find it.</source>
        <translation>得分：两种搜索按排名融合后的结果（越高越好）。余弦：语义的接近程度（0 到 1）。bm25：词语的匹配程度（越低越好）；该搜索未找到时显示 –。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="180"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="183"/>
        <source>Open %1</source>
        <translation>打开 %1</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="184"/>
        <source>This file is no longer there.</source>
        <translation>此文件已不存在。</translation>
    </message>
</context>
<context>
    <name>SourcesView</name>
    <message>
        <location filename="../main/sources_view.py" line="54"/>
        <source>Reading “%1”: section %2 of %3…</source>
        <translation>正在阅读“%1”：第 %2 节，共 %3 节…</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="57"/>
        <source>Combining %1 summaries of “%2”…</source>
        <translation>正在合并“%2”的 %1 份摘要…</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="59"/>
        <source>Writing the summary of “%1”…</source>
        <translation>正在撰写“%1”的摘要…</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="64"/>
        <location filename="../main/sources_view.py" line="75"/>
        <location filename="../main/sources_view.py" line="312"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="65"/>
        <source>I could not find this in your documents (%1), so I won&apos;t answer from memory.</source>
        <translation>在你的文档（%1）中找不到相关内容，因此我不会凭记忆回答。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="76"/>
        <source>Passages in your documents (%1) match this question, but none of them fits in this chat&apos;s context of %2 tokens, so I won&apos;t answer from memory. Raise the context and ask again.</source>
        <translation>你的文档（%1）中有与这个问题匹配的段落，但没有一段能放进本对话 %2 个 token的上下文，所以我不会凭记忆回答。请调大上下文后再问一次。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="306"/>
        <source>Sources (%1)</source>
        <translation>来源（%1）</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="306"/>
        <source>Sections (%1)</source>
        <translation>章节（%1）</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="318"/>
        <source>Summarised from %n section(s) of “%1”; each source is a section and what the model made of it.</source>
        <translation>
            <numerusform>根据“%1”的 %n 个章节写成摘要；每个来源是一个章节及模型对它的概括。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="323"/>
        <source>%n passage(s) in %1 matched the question but did not fit in this chat&apos;s context of %2 tokens.</source>
        <translation>
            <numerusform>%1 中有 %n 个段落与问题匹配，但放不进本对话 %2 个 token的上下文。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="326"/>
        <source>This reply is from the model alone.</source>
        <translation>这条回复仅来自模型本身。</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/sources_view.py" line="328"/>
        <source>%n more passage(s) matched but did not fit in this chat&apos;s context of %1 tokens.</source>
        <translation>
            <numerusform>还有 %n 个段落匹配，但放不进本对话 %1 个 token的上下文。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="331"/>
        <source>Nothing in %1 matched the question; this reply is from the model alone.</source>
        <translation>%1 中没有与问题匹配的内容；此回复仅由模型生成。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="336"/>
        <source>They are too long for this model even at its largest context.</source>
        <translation>即使用这个模型的最大上下文，它们也太长了。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="339"/>
        <source>Use %1 tokens and answer again</source>
        <translation>改用 %1 个 token并重新回答</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="341"/>
        <source>Sets this chat&apos;s context to %1 tokens (the model reloads) and writes this reply again with the passages; this reply is kept.</source>
        <translation>把本对话的上下文设为 %1 个 token（模型会重新加载），并带上这些段落重写这条回复；这条回复会保留。</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="346"/>
        <source>Summaries of the sections the reply was written from</source>
        <translation>这条回复所依据的各章节摘要</translation>
    </message>
    <message>
        <location filename="../main/sources_view.py" line="348"/>
        <source>Passages from %1 that went into the prompt</source>
        <translation>来自 %1 并放入提示的片段</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../main/status_bar.py" line="62"/>
        <source>API on %1</source>
        <translation>API 运行于 %1</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="64"/>
        <source>Hearth serves its models to other programs at %1 (Settings → Local API server).</source>
        <translation>Hearth 正在 %1 向其他程序提供模型（设置 → 本地 API 服务器）。</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/status_bar.py" line="69"/>
        <source>%n older message(s) left out to fit the context</source>
        <translation>
            <numerusform>为适应上下文，省略了 %n 条较早的消息</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="80"/>
        <source>The server read only %1 of the %2 prompt tokens sent: it cut the conversation to its own context size. Raise the server&apos;s context (Ollama: num_ctx) or set the backend&apos;s context window lower in Models → Backends.</source>
        <translation>服务器只读取了发送的 %2 个提示 token 中的 %1 个：它按自己的上下文大小截断了对话。请调大服务器的上下文（Ollama：num_ctx），或在 模型 → 后端 中把该后端的上下文窗口设小。</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="89"/>
        <source>Replies are computed by the backend %1, not on this computer; what you send goes to that server.</source>
        <translation>回复由后端 %1 计算，而不是在这台电脑上；你发送的内容会传到那台服务器。</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="93"/>
        <source>The GPU ran out of memory with more layers, so %1 of %2 layers are on it and the rest run on the CPU. Close other programs that use the GPU, or choose a shorter context, then reload the model.</source>
        <translation>放入更多层时显卡显存不足，因此 %2 层中有 %1 层在显卡上，其余在 CPU 上运行。请关闭其他占用显卡的程序，或选择更短的上下文，然后重新加载模型。</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="101"/>
        <source>Loading the model</source>
        <translation>正在加载模型</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="103"/>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="105"/>
        <source>The model stopped — reload it to continue</source>
        <translation>模型已停止运行——重新加载后才能继续</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="107"/>
        <source>No model loaded</source>
        <translation>未加载模型</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="111"/>
        <source>context %1</source>
        <translation>上下文 %1</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="117"/>
        <source>Remote · %1</source>
        <translation>远程 · %1</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="119"/>
        <source>answered by %1</source>
        <translation>由 %1 回答</translation>
    </message>
    <message numerus="yes">
        <location filename="../main/status_bar.py" line="122"/>
        <source>CPU · %n thread(s)</source>
        <translation>
            <numerusform>CPU · %n 个线程</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="125"/>
        <source>%1 · %2/%3 layers</source>
        <translation>%1 · %2/%3 层</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="128"/>
        <source>%1 VRAM</source>
        <translation>显存 %1</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="137"/>
        <source>first token %1 s</source>
        <translation>首 token %1 秒</translation>
    </message>
    <message>
        <location filename="../main/status_bar.py" line="139"/>
        <source>%1 tokens/s</source>
        <translation>%1 token/秒</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <location filename="../main/welcome.py" line="68"/>
        <source>Welcome to Hearth</source>
        <translation>欢迎使用 Hearth</translation>
    </message>
    <message>
        <location filename="../main/welcome.py" line="70"/>
        <source>&lt;p&gt;Hearth runs language models on this computer. Your chats and documents never leave it.&lt;/p&gt;&lt;p&gt;&lt;b&gt;To begin, add a model.&lt;/b&gt; Models are &lt;i&gt;.gguf&lt;/i&gt; files. Add one you already have with &lt;b&gt;Add a model file…&lt;/b&gt;, or copy it into the models folder:&lt;/p&gt;&lt;p&gt;&lt;tt&gt;%1&lt;/tt&gt;&lt;/p&gt;&lt;p&gt;A small model (about 1–4 GB, such as a 1B–3B “Instruct” model in Q4_K_M) runs well on most computers; larger ones need more memory and are slower without a graphics card.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Hearth 在这台电脑上运行语言模型。你的对话和文档始终留在这台电脑上。&lt;/p&gt;&lt;p&gt;&lt;b&gt;首先，请添加一个模型。&lt;/b&gt;模型是 &lt;i&gt;.gguf&lt;/i&gt; 文件。如果已有模型文件，请点击&lt;b&gt;添加模型文件…&lt;/b&gt;，或将它复制到模型文件夹：&lt;/p&gt;&lt;p&gt;&lt;tt&gt;%1&lt;/tt&gt;&lt;/p&gt;&lt;p&gt;小模型（约 1–4 GB，例如 Q4_K_M 量化的 1B–3B “Instruct”模型）在大多数电脑上都能流畅运行；更大的模型需要更多内存，没有显卡时速度也更慢。&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../main/welcome.py" line="76"/>
        <source>Find a model…</source>
        <translation>查找模型…</translation>
    </message>
    <message>
        <location filename="../main/welcome.py" line="77"/>
        <source>Add a model file…</source>
        <translation>添加模型文件…</translation>
    </message>
    <message>
        <location filename="../main/welcome.py" line="78"/>
        <source>Open the models folder</source>
        <translation>打开模型文件夹</translation>
    </message>
    <message>
        <location filename="../main/welcome.py" line="79"/>
        <source>Look again</source>
        <translation>重新扫描</translation>
    </message>
</context>
</TS>
