<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>ContextMeter</name>
    <message numerus="yes">
        <location filename="../context_meter.py" line="200"/>
        <source>%n older message(s) will be left out</source>
        <translation>
            <numerusform>%n older message will be left out</numerusform>
            <numerusform>%n older messages will be left out</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message numerus="yes">
        <location filename="../conversation_list.py" line="129"/>
        <source>%n message(s) match</source>
        <translation>
            <numerusform>%n message matches</numerusform>
            <numerusform>%n messages match</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message numerus="yes">
        <location filename="../message_widget.py" line="415"/>
        <source>and %n more</source>
        <translation>
            <numerusform>and %n more</numerusform>
            <numerusform>and %n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../message_widget.py" line="417"/>
        <source>To fit the context, %n earlier message(s) were left out of this reply&apos;s prompt: </source>
        <translation>
            <numerusform>To fit the context, %n earlier message was left out of this reply&apos;s prompt: </numerusform>
            <numerusform>To fit the context, %n earlier messages were left out of this reply&apos;s prompt: </numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message numerus="yes">
        <location filename="../model_manager.py" line="279"/>
        <source>%n repositories</source>
        <translation>
            <numerusform>%n repository</numerusform>
            <numerusform>%n repositories</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message numerus="yes">
        <location filename="../status_bar.py" line="47"/>
        <source>%n older message(s) left out to fit the context</source>
        <translation>
            <numerusform>%n older message left out to fit the context</numerusform>
            <numerusform>%n older messages left out to fit the context</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../status_bar.py" line="68"/>
        <source>CPU · %n thread(s)</source>
        <translation>
            <numerusform>CPU · %n thread</numerusform>
            <numerusform>CPU · %n threads</numerusform>
        </translation>
    </message>
</context>
</TS>
